"""The checker's chain and its provers: each false statement is refused, saying why; each true one passes.

Fast, exact cases for helpers/verify/chain.py, symbolic.py and tex.py: every test builds the
exact statement (a false one must raise CheckFailed or ValueError with the reason in its
message, the true one must pass), so that a change to the checker's logic fails a test.  Then
the page (display.py), the chapter's report (ledger.py) and the proof cache (proof_cache.py,
which must never let a changed statement reuse an old proof).
"""

import re

import numpy as np
import pytest
import sympy as sp

from helpers import verify
from helpers.verify import (CheckFailed, Derivation, assert_close, chain, is_nonnegative, report,
                            symbolic, tex)
from helpers.verify.registry import passed_count
from verify_fixtures import empty_registry  # noqa: F401  (autouse)

a, b, c, t = sp.symbols("a b c t", positive=True)
x, y = sp.symbols("x y", real=True)
r = sp.Symbol("r")
q1, q2, q3 = sp.symbols("q1 q2 q3", positive=True)
SUM_TO_ONE = {q3: 1 - q1 - q2}



def rational_instances(*symbols, low=1, high=1000):
    """Random positive rationals k/100 for ``symbols``."""
    def draw(rng):
        return {s: sp.Rational(int(rng.integers(low, high)), 100) for s in symbols}
    return draw


def square_lemma():
    """h(t) = (t - 1)**2 / t >= 0 for t > 0, as a lemma (a fast one)."""
    return Derivation((t - 1) ** 2 / t).ge(0, "a square over a positive", certificate=(t - 1) ** 2 / t) \
        .as_lemma(t, "h")


# ---- chain.py: the arguments ---------------------------------------------------------

def test_start_and_step_expressions_are_validated_by_name():
    with pytest.raises(TypeError, match="start must be a SymPy expression or a number"):
        Derivation(object())
    with pytest.raises(TypeError, match="start must be a SymPy expression, got Equality"):
        Derivation(sp.Eq(a, b))
    with pytest.raises(ValueError, match="start is not a number: nan"):
        Derivation(sp.nan)
    with pytest.raises(ValueError, match="expr is not a number: zoo"):
        Derivation(a).eq(sp.zoo, "1/0")
    with pytest.raises(TypeError, match="expr must be a SymPy expression or a number"):
        Derivation(a).eq(object(), "?")
    with pytest.raises(TypeError, match="certificate must be a SymPy expression or a number"):
        Derivation(a + 1).ge(a, "one", certificate=object())
    with pytest.raises(ValueError, match="certificate is not a number: nan"):
        Derivation(a + 1).ge(a, "one", certificate=sp.nan)
    assert Derivation(2).start == sp.Integer(2)            # a number is an expression


@pytest.mark.parametrize("bad", ["", "   ", 5])
def test_checked_on_must_name_the_special_case(bad):
    with pytest.raises(ValueError, match="checked_on must name the special case"):
        Derivation(a, checked_on=bad)


@pytest.mark.parametrize("bad", ["", "  ", 3])
def test_tex_must_be_a_non_empty_string(bad):
    with pytest.raises(ValueError, match="tex must be a non-empty LaTeX string"):
        Derivation(a, tex=bad)
    with pytest.raises(ValueError, match="tex must be a non-empty LaTeX string"):
        Derivation(a).eq(a, "same", tex=bad)


def test_a_wrong_display_names_the_line_it_is_on():
    with pytest.raises(CheckFailed, match="the first expression is displayed as something else"):
        Derivation(x**2, tex="x^{4}")
    d = Derivation(x**2).eq(x * x, "same")
    with pytest.raises(CheckFailed, match=r"^step 2 is displayed as something else"):
        d.eq(x**2, "again", tex="x^{3}")


def test_an_unread_first_line_makes_a_stand_in():
    d = Derivation(x**2, tex=r"\E[x]").eq(x * x, "same")
    assert d.steps[0].display_read and d.strength == "stand-in"
    assert "the first line is checked as $x^{2}$" in d._repr_markdown_()
    assert Derivation(x**2, tex=r"x \cdot x").eq(x * x, "same").strength == "proof"


def test_a_step_records_exactly_what_was_checked():
    d = Derivation((a + b) ** 2).eq(a**2 + 2 * a * b + b**2, "expand", tex="a^2 + 2ab + b^2")
    step = d.steps[0]
    assert step == chain.Step("=", a**2 + 2 * a * b + b**2, "expand", "a^2 + 2ab + b^2",
                              "SymPy (expand), and exact at 3 random points", "proof", True)
    assert d.symbolic and d.strength == "proof" and d.relation == "="
    assert not Derivation(a).symbolic                    # no step: nothing proven


def test_the_end_is_the_last_step_of_a_longer_chain():
    d = (Derivation(a + 3).ge(a + 2, "drop 1", certificate=sp.Integer(1))
         .ge(a + 1, "drop 1", certificate=sp.Integer(1))
         .ge(a, "drop 1", certificate=sp.Integer(1)))
    assert d.end == a and [s.expr for s in d.steps] == [a + 2, a + 1, a]
    # The fourth step's gap is the third step's expression minus the new one.
    d.ge(a - 1, "drop 1", certificate=sp.Integer(1))
    with pytest.raises(CheckFailed, match="not equal to the certificate"):
        d.ge(a - 3, "drop 1", certificate=sp.Integer(1))
    assert Derivation(a).end == a


# ---- chain.py: the relation and strength of a chain ----------------------------------------

def test_relation_of_every_kind_of_chain():
    assert Derivation(a + 1).ge(a, "one", certificate=sp.Integer(1)).relation == ">="
    assert Derivation(a + 1).gt(a, "one", certificate=sp.Integer(1)).relation == ">"
    assert Derivation(a).le(a + 1, "one", certificate=sp.Integer(1)).relation == "<="
    assert Derivation(a).lt(a + 1, "one", certificate=sp.Integer(1)).relation == "<"
    assert (Derivation(a).le(a + 1, "one", certificate=sp.Integer(1))
            .lt(a + 2, "one", certificate=sp.Integer(1)).relation) == "<"
    assert (Derivation(a).eq(a * 1, "same").le(a + 1, "one", certificate=sp.Integer(1))
            .relation) == "<="


def test_a_chain_of_equalities_then_an_inequality_cannot_change_direction():
    d = Derivation(a + 1).eq(1 + a, "commute").ge(a, "one", certificate=sp.Integer(1))
    with pytest.raises(ValueError, match="cannot mix >= and <= steps"):
        d.le(a + 1, "back up", certificate=sp.Integer(1))
    with pytest.raises(ValueError, match="cannot mix"):
        Derivation(a).lt(a + 1, "up", certificate=sp.Integer(1)).gt(a, "down",
                                                                    certificate=sp.Integer(1))


def test_the_strength_is_capped_by_a_special_case_or_an_unread_display():
    with pytest.raises(ValueError, match="no steps has no strength"):
        Derivation(a).strength
    assert Derivation(a, checked_on="K = 2").eq(a, "same").strength == "stand-in"
    assert Derivation(a + b, where={b: a}).eq(2 * a, "b = a").strength == "proof"
    assert Derivation(a + b, where={b: 1}).eq(a + 1, "b = 1").strength == "stand-in"
    sampled = Derivation(a + 1, checked_on="K = 2").ge(a, "one", instances=rational_instances(a), n=2)
    assert sampled.strength == "exact-instances"          # already weaker than a stand-in


# ---- chain.py: equality steps ---------------------------------------------------------

def test_a_false_equality_step_is_refuted_and_an_unproven_one_is_not():
    with pytest.raises(CheckFailed, match=r"^step 1 \(= a \+ b; reason: wrong\) is not verified: "
                                          r"the step is false: at ") as failure:
        Derivation(a * b).eq(a + b, "wrong")
    assert failure.value.refuted
    # Only the tiny term tells them apart: SymPy cannot prove it and the points do not refute it.
    with pytest.raises(CheckFailed, match="the step is not proven") as failure:
        Derivation(2 * a + sp.exp(-10**10 * a**2)).eq(2 * a, "drop a tiny term")
    assert not failure.value.refuted


def test_an_equality_step_uses_the_chain_constraint():
    d = Derivation(sp.log(q1 + q2 + q3) + a, where=SUM_TO_ONE).eq(a, "the weights sum to one")
    assert d.steps[0].how == "SymPy (expand, then the constraint), and exact at 3 random points"


def test_every_passed_step_is_counted_once():
    before = passed_count()
    d = Derivation(a + 1).eq(1 + a, "commute").ge(a, "one", certificate=sp.Integer(1))
    assert passed_count() == before + 2
    d.qed("eq-counted")
    assert passed_count() == before + 2                  # qed records, but does not count again
    assert [c.label for c in verify.checked_labels()["eq-counted"]] == ["eq-counted"]


# ---- chain.py: certificates -------------------------------------------------------------

@pytest.mark.parametrize("method, start, end, gap, sign", [
    ("ge", a + 1, a, "1", r"\ge 0"), ("gt", a + 1, a, "1", "> 0"),
    ("le", a, a + 1, "1", r"\ge 0"), ("lt", a, a + 1, "1", "> 0")])
def test_each_kind_of_inequality_with_a_certificate_and_a_display(method, start, end, gap, sign):
    d = getattr(Derivation(start), method)(end, "one", certificate=sp.Integer(1), tex="1 + a"
                                           if end == a + 1 else "a")
    step = d.steps[0]
    assert step.how == f"the gap equals ${gap}$, which is ${sign}$ by sign rules"
    assert step.strength == "proof" and step.display_read and step.tex in ("a", "1 + a")
    unread = getattr(Derivation(start), method)(end, "one", certificate=sp.Integer(1), tex=r"\E[a]")
    assert unread.strength == "stand-in" and unread.steps[0].tex == r"\E[a]"
    with pytest.raises(CheckFailed, match="displayed as something else"):
        getattr(Derivation(start), method)(end, "one", certificate=sp.Integer(1), tex="a^{3}")


@pytest.mark.parametrize("method, start, end", [("gt", x**2 + 1, 1), ("lt", 1, x**2 + 1)])
def test_a_strict_step_refuses_a_certificate_that_may_be_zero(method, start, end):
    relation = ">" if method == "gt" else "<"
    with pytest.raises(CheckFailed, match=rf"^step 1 \({relation} {re.escape(sp.sstr(end))}; "
                                          r"reason: x may be 0\) is not verified: "
                                          r"the certificate x\*\*2 is not shown to be > 0$") as f:
        getattr(Derivation(start), method)(end, "x may be 0", certificate=x**2)
    assert not f.value.refuted            # SymPy's sign rules only could not show it


def test_a_zero_gap_is_a_non_strict_step_but_not_a_strict_one():
    d = Derivation(a).ge(a, "equal", certificate=sp.Integer(0))
    assert d.steps[0].how == r"the gap equals $0$, which is $\ge 0$ by sign rules"
    with pytest.raises(CheckFailed, match="the certificate 0 is not shown to be > 0"):
        Derivation(a).gt(a, "equal", certificate=sp.Integer(0))


def test_a_wrong_certificate_is_refuted_with_the_gap():
    with pytest.raises(CheckFailed, match=r"^step 1 \(>= 2\*x; reason: wrong\) is not verified: "
                                          r"the gap is not equal to the certificate x\*\*2 \("
                                          r"the gap = the certificate is false: at ") as failure:
        Derivation((x + 1) ** 2).ge(2 * x, "wrong", certificate=x**2)
    assert failure.value.refuted


def test_the_certificate_is_checked_under_the_chain_constraint():
    # Under q3 = 1 - q1 - q2 the gap q1 + q2 + q3 - 1/2 equals the certificate 1/2.
    Derivation(q1 + q2 + q3, where=SUM_TO_ONE).ge(sp.Rational(1, 2), "sum", certificate=sp.Rational(1, 2))
    with pytest.raises(CheckFailed, match="not equal"):
        Derivation(q1 + q2 + q3).ge(sp.Rational(1, 2), "sum", certificate=sp.Rational(1, 2))


@pytest.mark.parametrize("strict", [False, True])
def test_a_sign_rule_error_is_caught_at_the_points(monkeypatch, strict):
    # If the sign rules wrongly called every certificate positive, the exact points still refuse.
    monkeypatch.setattr(chain, "is_nonnegative", lambda value, strict=False: True)
    method = "gt" if strict else "ge"
    sign = ">" if strict else ">="
    with pytest.raises(CheckFailed, match=rf"^step 1 \({sign} a \+ 1; reason: a broken sign rule\) is not "
                                          rf"verified: the certificate -1 is not {sign} 0: "
                                          r"at  it is -1.00000$") as f:
        getattr(Derivation(a), method)(a + 1, "a broken sign rule", certificate=sp.Integer(-1))
    assert f.value.refuted
    if strict:       # zero is not > 0, even where the sign rules say so
        with pytest.raises(CheckFailed, match="the certificate 0 is not > 0: at"):
            Derivation(a).gt(a, "a broken sign rule", certificate=sp.Integer(0))
    else:
        Derivation(a).ge(a, "zero is >= 0", certificate=sp.Integer(0))


# ---- chain.py: a derivation as a certificate ---------------------------------------------

def test_a_derivation_certificate_under_the_same_constraint_is_accepted():
    s = sp.Symbol("s", positive=True)
    cert = Derivation(s - 2, where={s: 2}).eq(0, "s is two")
    d = Derivation(s, where={s: 2}).ge(2, "s = 2", certificate=cert)
    assert d.steps[0].how == r"the gap equals $s - 2$, which is $\ge 0$ by a checked derivation"
    # The same constraint written another way is the same constraint.
    u = sp.Symbol("u", positive=True)
    cert = Derivation(s - (u + 1) ** 2, where={s: (u + 1) ** 2}).eq(0, "s is (u+1)^2")
    Derivation(s, where={s: u**2 + 2 * u + 1}).ge((u + 1) ** 2, "c", certificate=cert)


def test_a_derivation_certificate_under_another_constraint_is_refused():
    s = sp.Symbol("s", positive=True)
    cert = Derivation(s - 2, where={s: 2}).eq(0, "s is two")
    with pytest.raises(CheckFailed, match=r"^step 1 \(>= 2; reason: c\) is not verified: the certificate "
                                          r"was proven under where= \{'s': '2'\}, which this chain "
                                          r"does not assume$") as f:
        Derivation(s, where={s: 3}).ge(2, "c", certificate=cert)     # s = 3 is not s = 2
    assert not f.value.refuted
    with pytest.raises(CheckFailed, match="which this chain does not assume"):
        Derivation(s).ge(2, "c", certificate=cert)


def test_a_strict_step_needs_a_strict_certificate_derivation():
    nonstrict = Derivation(a**2).ge(0, "square", certificate=a**2)
    strict = Derivation(a**2).gt(0, "positive square", certificate=a**2)
    assert Derivation(a**2 + 1).ge(1, "c", certificate=nonstrict).relation == ">="
    assert Derivation(a**2 + 1).gt(1, "c", certificate=strict).relation == ">"
    assert Derivation(a**2 + 1).ge(1, "c", certificate=strict).relation == ">="   # "> 0" proves ">= 0"
    with pytest.raises(ValueError, match="a finished chain ending in '> 0'"):
        Derivation(a**2 + 1).gt(1, "c", certificate=nonstrict)
    equality = Derivation((a - b) ** 2 - a**2 + 2 * a * b - b**2).eq(0, "expand")
    Derivation(a).ge(a, "zero", certificate=equality)         # "= 0" proves ">= 0"
    with pytest.raises(ValueError, match="ending in '> 0'"):
        Derivation(a).gt(a, "zero", certificate=equality)      # but not "> 0"


def test_a_certificate_derivation_must_end_in_zero_in_the_right_direction():
    with pytest.raises(ValueError, match="a finished chain ending in '>= 0'"):
        Derivation(a + 2).ge(a, "c", certificate=Derivation(a + 1).ge(1, "a > 0", certificate=a))
    upward = Derivation(-a).le(0, "a > 0", certificate=a)       # proves -a <= 0, not -a >= 0
    with pytest.raises(ValueError, match="ending in '>= 0'"):
        Derivation(a).ge(2 * a, "c", certificate=upward)
    with pytest.raises(ValueError, match="ending in '>= 0'"):
        Derivation(a).ge(a, "c", certificate=Derivation(sp.Integer(0)))   # no step


# ---- chain.py: lemmas -------------------------------------------------------------------

def test_a_lemma_is_a_certificate_inside_its_domain():
    h = square_lemma()
    assert h.nargs == sp.FiniteSet(1) and h.body == (t - 1) ** 2 / t and h.variable == t
    assert sp.cancel(h(a / b).doit() - (a - b) ** 2 / (a * b)) == 0
    d = Derivation(a / b + b / a).ge(2, "AM-GM", certificate=h(a / b))
    assert d.steps[0].how.endswith("by sign rules")
    with pytest.raises(CheckFailed, match="not shown to be >= 0"):
        Derivation(x + 1 / x).ge(2, "x may be negative", certificate=h(x))


def test_a_lemma_needs_one_variable_and_an_identifier():
    proof = Derivation((t - 1) ** 2 / t).ge(0, "square", certificate=(t - 1) ** 2 / t)
    with pytest.raises(ValueError, match=r"variable must be the only symbol of the lemma \(t - 1\)\*\*2/t"):
        proof.as_lemma(2 * t, "h")
    with pytest.raises(ValueError, match="variable must be the only symbol"):
        proof.as_lemma(a, "h")
    with pytest.raises(ValueError, match="name must be an identifier, got '1h'"):
        proof.as_lemma(t, "1h")
    with pytest.raises(ValueError, match="name must be an identifier, got 5"):
        proof.as_lemma(t, 5)
    two = Derivation(a * b).ge(0, "product", certificate=a * b)
    with pytest.raises(ValueError, match="variable must be the only symbol"):
        two.as_lemma(a, "g")


def test_a_lemma_doit_expands_its_argument_unless_told_not_to():
    h = square_lemma()
    inner = sp.Integral(a, (r, 0, 2))                 # = 2a
    assert h(inner).doit() == (2 * a - 1) ** 2 / (2 * a)
    shallow = h(inner).doit(deep=False)
    assert shallow == (inner - 1) ** 2 / inner and shallow.has(sp.Integral)


# ---- chain.py: random instances -----------------------------------------------------------

@pytest.mark.parametrize("method, start, end", [
    ("ge", a + 1, a), ("gt", a + 1, a), ("le", a, a + 1), ("lt", a, a + 1)])
def test_each_kind_of_inequality_on_instances_says_how_many_and_which_seed(method, start, end):
    d = getattr(Derivation(start), method)(end, "one", instances=rational_instances(a), n=3, seed=5,
                                           tex=r"\E[a]")
    step = d.steps[0]
    assert step.how.startswith("3 random instances (seed 5), smallest margin 1; checked as $")
    assert step.strength == "exact-instances" and d.strength == "exact-instances"
    assert step.relation == {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}[method] and step.reason == "one"
    assert step.tex == r"\E[a]" and not step.display_read
    default = getattr(Derivation(start), method)(end, "one", instances=rational_instances(a))
    assert default.steps[0].how == "200 random instances (seed 0), smallest margin 1"


def test_the_smallest_margin_is_the_minimum_over_the_seeded_instances():
    d = Derivation(2 * a).ge(a, "a > 0", instances=rational_instances(a), n=7, seed=3)
    rng = np.random.default_rng(3)                 # the same draws, by hand: the gap is a
    smallest = min(int(rng.integers(1, 1000)) / 100 for _ in range(7))
    assert d.steps[0].how == f"7 random instances (seed 3), smallest margin {smallest:.3g}"


def test_instances_are_checked_under_the_chain_constraint():
    d = Derivation(a + b, where={b: a}).ge(2 * a, "b = a", instances=rational_instances(a), n=2)
    assert d.steps[0].how == "2 random instances (seed 0), smallest margin 0"


def test_the_instance_tolerance_is_1e_minus_40():
    tiny = sp.Rational(1, 10**45)
    Derivation(a).ge(a + tiny, "within the tolerance", instances=rational_instances(a), n=2)
    with pytest.raises(CheckFailed, match=r"violated at \{a: [0-9/]+\}: the difference is -1\.00000E-35$"):
        Derivation(a).ge(a + sp.Rational(1, 10**35), "beyond it", instances=rational_instances(a), n=2)
    # Exactly at the tolerance: a non-strict step holds, a strict one does not.
    Derivation(a).ge(a + chain._MARGIN, "at it", instances=rational_instances(a), n=2)
    with pytest.raises(CheckFailed, match="violated at"):
        Derivation(a + chain._MARGIN).gt(a, "at it", instances=rational_instances(a), n=2)
    Derivation(a + 2 * chain._MARGIN).gt(a, "beyond it", instances=rational_instances(a), n=2)
    Derivation(a).ge(a, "a zero gap is >= 0", instances=rational_instances(a), n=2)
    with pytest.raises(CheckFailed, match=r"^step 1 \(> a; reason: but not > 0\) is not verified: "
                                          r"violated at \{a: [0-9/]+\}: the difference is 0$") as f:
        Derivation(a).gt(a, "but not > 0", instances=rational_instances(a), n=2)
    assert f.value.refuted


def test_instances_that_leave_the_gap_undefined_or_complex_refute_the_step():
    with pytest.raises(CheckFailed, match=r"^step 1 \(>= 0; reason: sqrt\) is not verified: "
                                          r"not a finite real number at \{x: -1\}$") as failure:
        Derivation(sp.sqrt(x)).ge(0, "sqrt", instances=lambda rng: {x: -1}, n=1)
    assert failure.value.refuted
    with pytest.raises(CheckFailed, match=r"not a finite real number at \{x: 0\}"):
        Derivation(sp.log(x**2)).ge(-100, "log", instances=lambda rng: {x: 0}, n=1)


def test_instances_and_n_are_validated():
    with pytest.raises(TypeError, match="instances must be a function"):
        Derivation(a + 1).ge(a, "one", instances=5)
    with pytest.raises(TypeError, match=r"instances\(\) must return a dict"):
        Derivation(a + 1).ge(a, "one", instances=lambda rng: [a, 1], n=1)
    for bad in (0, -1, True, 2.5, 100_001, "3"):
        with pytest.raises(ValueError, match=f"n must be a whole number of instances in 1..100000, "
                                             f"got {bad!r}"):
            Derivation(a + 1).ge(a, "one", instances=rational_instances(a), n=bad)
    d = Derivation(a + 1).ge(a, "one", instances=rational_instances(a), n=np.int64(1))
    assert d.steps[0].how.startswith("1 random instances")


def test_n_may_be_exactly_the_limit(monkeypatch):
    monkeypatch.setattr(chain, "MAX_INSTANCES", 3)
    assert "3 random instances" in Derivation(a + 1).ge(a, "one", instances=rational_instances(a),
                                                        n=3).steps[0].how
    with pytest.raises(ValueError, match="in 1..3, got 4"):
        Derivation(a + 1).ge(a, "one", instances=rational_instances(a), n=4)


def test_instances_may_set_indexed_entries_and_python_numbers():
    f = sp.IndexedBase("f")
    d = Derivation(f[1] + 1).ge(f[1], "one", instances=lambda rng: {f[1]: 2}, n=1)
    assert d.steps[0].how == "1 random instances (seed 0), smallest margin 1"
    d = Derivation(a + 1).ge(a, "one", instances=lambda rng: {a: 0.5}, n=1)
    assert d.steps[0].how.endswith("margin 1")


# ---- chain.py: names, closing, the record --------------------------------------------------

def test_a_name_shared_by_two_symbols_is_refused_wherever_they_meet():
    x_pos = sp.Symbol("x", positive=True)
    long = a + (x_pos**2 - 1) / (x_pos - 1) - x_pos - 1     # = a, through a step with x > 0
    d = Derivation(a).eq(long, "add zero")
    with pytest.raises(ValueError, match=r"share the name\(s\) \['x'\]"):
        d.eq(a + (x**2 - 1) / (x - 1) - x - 1, "a real x")       # meets x > 0 in step 1 only
    with pytest.raises(ValueError, match="share the name"):
        Derivation(a, where={x: 1}).eq(long, "where key")
    with pytest.raises(ValueError, match="share the name"):
        Derivation(a, where={b: x_pos}).eq(a + (x**2 - 1) / (x - 1) - x - 1, "where value")


def test_qed_closes_the_chain_once():
    d = Derivation(a).eq(a, "same")
    assert d.qed() is d and d.label is None and verify.checked_labels() == {}
    with pytest.raises(ValueError, match="already called"):
        d.qed("eq-again")
    with pytest.raises(ValueError, match="closed"):
        d.eq(a, "more")
    with pytest.raises(ValueError, match="label must be a string starting with 'eq-'"):
        Derivation(a).eq(a, "same").qed("first")


def test_the_record_of_a_chain_says_what_it_proves():
    d = Derivation(a + 1, checked_on="K = 2").ge(a, "one", certificate=sp.Integer(1)).qed("eq-r")
    assert d.check() == verify.Check("derivation", "stand-in", r"$a + 1 \ge a$, on K = 2",
                                     "1 checked steps", "eq-r")
    assert verify.checked_labels()["eq-r"] == [d.check()]
    d = Derivation(a + b, where={b: 1}).eq(a + 1, "b = 1")
    assert d.check().what == "$a + b = a + 1$, where $b = 1$" and d.check().label is None
    d = Derivation(a + b + c, where={b: 1, c: 2}).eq(a + 3, "b = 1, c = 2")
    assert d.check().what == "$a + b + c = a + 3$, where $b = 1$, $c = 2$"


def test_a_long_statement_is_described_by_its_number_of_steps():
    wide = sum(sp.Symbol(f"w_{{{i}}}", positive=True) for i in range(12))
    one = Derivation(wide).eq(wide * 1, "same")
    assert one.check().what == "the chain of 1 step shown above ($=$)"
    two = Derivation(wide).eq(wide * 1, "same").ge(wide - 1, "one", certificate=sp.Integer(1))
    assert two.check().what == r"the chain of 2 steps shown above ($\ge$)"


def test_a_statement_of_exactly_the_limit_is_written_out():
    # "$u + ww \\ge u$" for a symbol u with a long name: grow it to exactly WHAT_LIMIT characters.
    v = sp.Symbol("ww", positive=True)
    for n in range(1, 60):
        u = sp.Symbol("u" * n, positive=True)
        statement = f"${sp.latex(u + v)} \\ge {sp.latex(u)}$"
        if len(statement) == chain.WHAT_LIMIT:
            break
    assert len(statement) == 110
    assert Derivation(u + v).ge(u, "v > 0", certificate=v).check().what == statement
    longer = sp.Symbol("u" * (n + 1), positive=True)
    assert Derivation(longer + v).ge(longer, "v > 0", certificate=v).check().what == \
        r"the chain of 1 step shown above ($\ge$)"


# ---- chain.py: the display -------------------------------------------------------------------

def test_the_chain_renders_as_an_aligned_block():
    d = Derivation(a + 1).eq(1 + a, "commute").ge(a, "drop $1$", certificate=sp.Integer(1))
    check = r"{\color{green}\checkmark}"
    assert d.latex() == ("\\begin{alignedat}{2}\n"
                         f"a + 1 &= a + 1 &\\qquad& \\small \\text{{commute}} \\; {check} \\\\\n"
                         f" &\\ge a &\\qquad& \\small \\text{{drop }}1 \\; {check}\n"
                         "\\end{alignedat}")
    assert repr(d) == ("a + 1\n  = a + 1    [commute; SymPy (direct), and exact at 3 random points]"
                       "\n  >= a    [drop $1$; the gap equals $1$, which is $\\ge 0$ by sign rules]")


def test_the_page_shows_the_chain_as_a_grid_with_each_reason_in_words():
    from helpers.verify import display
    d = Derivation(a + 1).eq(1 + a, "commute, as in (eq-x)").ge(a, "drop $1$", certificate=sp.Integer(1))
    tick = ' <span class="elbo-tick">✓</span>'
    assert d.grid() == display.chain_grid([
        ("a + 1", "= a + 1", "commute, as in {eq}`eq-x`"), ("", r"\ge a", "drop $1$")])
    assert d.grid() == (
        '<div class="elbo-chain">\n<div class="elbo-step">\n'
        '<div class="elbo-lhs">\n\n$\\displaystyle a + 1$\n\n</div>\n'
        '<div class="elbo-rhs">\n\n$\\displaystyle = a + 1$\n\n</div>\n'
        f'<div class="elbo-why">\n\ncommute, as in {{eq}}`eq-x`{tick}\n\n</div>\n'
        '</div>\n<div class="elbo-step">\n'
        '<div class="elbo-lhs"></div>\n'
        '<div class="elbo-rhs">\n\n$\\displaystyle \\ge a$\n\n</div>\n'
        f'<div class="elbo-why">\n\ndrop $1${tick}\n\n</div>\n'
        '</div>\n</div>\n')
    # a step's continuation lines stay in its box; a long start is a box of its own
    two = display.chain_grid([("", "s", ""), ("", "t", ""), ("", "= u", "why"), ("", "v", "")])
    assert two.count('<div class="elbo-step">') == 2 and two.count("</div>") == 15
    assert two.index("why") < two.index("v$") and two.endswith("</div>\n</div>\n")
    assert display.chain_grid([]) == '<div class="elbo-chain">\n</div>\n'
    assert d._repr_markdown_().startswith("```{only} html\n" + d.grid() + "```\n")
    assert "```{only} latex\n" in d._repr_markdown_()


def test_a_long_start_gets_its_own_rows_in_the_grid():
    long = sum(sp.Symbol(f"v_{{{i}}}", positive=True) ** 2 for i in range(14))
    from helpers.verify import display
    lines = display.lines(long, width=display.LINE)
    rows = ([("", lines[0], "")] + [("", r"\quad " + line, "") for line in lines[1:]]
            + [("", "= " + lines[0], "same")] + [("", r"\quad " + line, "") for line in lines[1:]])
    assert Derivation(long).eq(long * 1, "same").grid() == display.chain_grid(rows)


def test_reasons_are_escaped_markdown_with_labels_as_numbers():
    from helpers.verify import display
    assert display.reason_markdown("by (eq-jensen), eq-a-2 and $x_1 * y$; a_b *c* [d] <e>") == (
        r"by {eq}`eq-jensen`, {eq}`eq-a-2` and $x_1 * y$; a\_b \*c\* \[d\] \<e\>")
    assert display.reason_markdown("not-eq-x, eq-, (eq-b-)") == "not-eq-x, eq-, (eq-b-)"
    assert display.numbers_for_labels("{eq}`eq-a` and eq-b") == "{eq}`eq-a` and {eq}`eq-b`"
    for bad in ("", "  ", "costs $5", None):
        with pytest.raises(ValueError):
            display.reason_markdown(bad)


def test_a_footer_shows_labels_in_its_notes_as_numbers():
    from helpers.verify import display
    assert display.footer("proof", "eq-f", ["the definition equals (eq-g)"]) == (
        f"\n<small>{display.mark('proof')} {{eq}}`eq-f`: the definition equals {{eq}}`eq-g`.</small>\n")


def test_a_long_formula_is_broken_between_terms_and_a_hand_written_one_is_kept_whole():
    from helpers.verify import display
    long = sum(sp.Symbol(f"v_{{{i}}}", positive=True) ** 2 for i in range(14))
    lines = display.lines(long, width=display.LINE)
    assert len(lines) > 1
    more = [f" &\\quad {line} &&" for line in lines[1:]]
    mark = r"&\qquad& \small \text{same} \; {\color{green}\checkmark}"
    rows = ([f" &{lines[0]} &&"] + more + [f" &= {lines[0]} {mark}"] + more)
    expected = "\\begin{alignedat}{2}\n" + " \\\\\n".join(rows) + "\n\\end{alignedat}"
    assert Derivation(long).eq(long * 1, "same").latex() == expected
    shown = Derivation(long, tex=r"\sum_{i} v_i^2").eq(long * 1, "same")
    rows = [f"\\sum_{{i}} v_i^2 &= {lines[0]} {mark}"] + more
    assert shown.latex() == "\\begin{alignedat}{2}\n" + " \\\\\n".join(rows) + "\n\\end{alignedat}"


def test_the_page_notes_say_how_each_step_was_checked():
    m = sp.Symbol("m", positive=True)
    d = (Derivation(sp.log(a + b), abbreviate={m: a + b}, checked_on="two terms", where={c: a})
         .eq(sp.log(b + a), "commute"))
    text = d._repr_markdown_()
    assert text.startswith('```{only} html\n<div class="elbo-chain">\n<div class="elbo-step">\n'
                           '<div class="elbo-lhs">\n\n$\\displaystyle \\log{\\left(m \\right)}$')
    assert ('```{only} latex\n$$\n\\begin{alignedat}{2}\n\\log{\\left(m \\right)} '
            '&= \\log{\\left(m \\right)} &\\qquad& \\text{step 1}\n\\end{alignedat}\n$$\n\n'
            'Step 1: commute ✓.\n```') in text
    assert ("checked on two terms; step 1: SymPy (direct), and exact at 3 random points; "
            "where $m = a + b$, $c = a$.</small>") in text
    assert "[✔ stand-in]" in text and "first line" not in text


def test_the_footer_of_a_plain_chain_lists_only_its_steps():
    from helpers.verify import display
    d = Derivation(a * b).eq(b * a, "commute").ge(b * a - 1, "one", certificate=sp.Integer(1)).qed("eq-f")
    assert d._repr_markdown_().endswith(
        f"\n<small>{display.mark('proof')} {{eq}}`eq-f`: step 1: SymPy (direct), and exact at 3 random "
        r"points; step 2: the gap equals $1$, which is $\ge 0$ by sign rules.</small>" "\n")


# ---- symbolic.py: the equality prover ------------------------------------------------------

def test_each_rewrite_is_named_and_reduces_its_kind_of_difference():
    names = [(name, cheap) for name, _, cheap in symbolic._rewrites()]
    assert names == [("expand", True), ("cancel", True), ("expand_log", True),
                     ("expand_log, simplify", False), ("simplify", False), ("logcombine", False),
                     ("together", False)]
    rewrite = {name: f for name, f, _ in symbolic._rewrites()}
    assert rewrite["expand"]((a + b) ** 2 - a**2 - 2 * a * b - b**2) == 0
    assert rewrite["cancel"]((a**2 - 1) / (a - 1) - a - 1) == 0
    assert rewrite["expand_log"](sp.log(a**2 * b) - 2 * sp.log(a) - sp.log(b)) == 0
    assert rewrite["expand_log, simplify"](sp.log(a * b) - sp.log(a) - sp.log(b)) == 0
    assert rewrite["simplify"](1 / (1 / a + 1 / b) - a * b / (a + b)) == 0
    assert rewrite["logcombine"](sp.log(a) + sp.log(b) - sp.log(a * b)) == 0
    assert rewrite["together"](1 / a + 1 / b - (a + b) / (a * b)) == 0
    false = sp.log(a + b) - sp.log(a) - sp.log(b)       # no rewrite may make it 0
    assert all(f(false) != 0 for f in rewrite.values())


def test_the_cheap_rewrites_come_first_and_cheap_only_stops_before_the_rest():
    assert symbolic.search_zero((a + b) ** 2 - a**2 - 2 * a * b - b**2) == "expand"
    assert symbolic.search_zero((a**2 - 1) / (a - 1) - a - 1, cheap_only=True) == "cancel"
    trig = sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1
    assert symbolic.search_zero(trig, cheap_only=True) is None
    assert symbolic.search_zero(trig) == "expand_log, simplify"


def test_a_difference_that_is_zero_as_written_or_once_carried_out_is_direct():
    assert symbolic.search_zero(sp.Integer(0)) == "direct"
    assert symbolic.search_zero(sp.Integral(2 * r, (r, 0, 1)) - 1) == "direct"
    assert symbolic.search_zero(sp.Derivative(a**2, a) - 2 * a) == "direct"
    f = sp.Function("f")
    kept = symbolic._carry_out(sp.Integral(f(r), (r, 0, 1)) + sp.Integral(r, (r, 0, 1)))
    assert kept == sp.Integral(f(r), (r, 0, 1)) + sp.Rational(1, 2)


def test_the_constraint_is_used_after_a_cheap_rewrite():
    # q1 + q2 + q3 - 1 is 0 only once q3 = 1 - q1 - q2 is put in.
    assert symbolic.search_zero(q1 + q2 + q3 - 1, SUM_TO_ONE) == "expand, then the constraint"
    assert symbolic.search_zero(q1 + q2 + q3 - 1, SUM_TO_ONE, cheap_only=True) == \
        "expand, then the constraint"
    assert symbolic.search_zero(q1 + q2 + q3 - 1) is None
    # q3 (q1 + q2) - (1 - q1 - q2)(q1 + q2): after the constraint it is 0 only once expanded.
    product = q3 * (q1 + q2) - (1 - q1 - q2) * (q1 + q2)
    assert symbolic.search_zero(product, SUM_TO_ONE, cheap_only=True) == "expand, then the constraint"
    # log(a q3) - log a - log(1 - q1 - q2): the logarithm is split while q3 is known positive.
    assert symbolic.search_zero(sp.log(a * q3) - sp.log(a) - sp.log(1 - q1 - q2), SUM_TO_ONE) == \
        "expand, then the constraint"


def test_an_expensive_rewrite_may_need_the_constraint_after_it(monkeypatch):
    # log(q3^2) - 2 log(1 - q1 - q2): split while q3 is known positive, then q3 = 1 - q1 - q2;
    # substituting first hides that sign (1 - q1 - q2 is not known positive).
    split = lambda e: sp.expand(sp.expand_log(e))       # noqa: E731
    monkeypatch.setattr(symbolic, "_rewrites", lambda: [("slow split", split, False)])
    difference = sp.log(q3**2) - 2 * sp.log(1 - q1 - q2)
    assert symbolic.search_zero(difference, SUM_TO_ONE) == "slow split, then the constraint"


def test_integrals_of_undefined_functions_are_not_carried_out():
    f = sp.Function("f")
    total = sp.Integral(f(r).diff(r), (r, 0, 1))          # SymPy would make it f(1) - f(0)
    assert symbolic._carry_out(total) == total


def test_a_false_identity_missed_by_the_first_points_is_refuted_by_the_search():
    from helpers.verify.points import random_points
    first = [p[a] for p in random_points({a}, None, 3, seed=0)]
    search = [p[a] for p in random_points({a}, None, 24, seed=1)]
    c = min(first)                         # max(a, c) = a at the 3 points, not at some of the 24
    assert min(search) < c
    with pytest.raises(CheckFailed, match="identity is false: at a = ") as failure:
        symbolic.prove_equal(sp.Max(a, c), a)
    assert failure.value.refuted


def test_a_broken_rewrite_is_named_in_the_refutation(monkeypatch):
    monkeypatch.setattr(symbolic, "_rewrites", lambda: [("broken", lambda e: sp.Integer(0), True)])
    with pytest.raises(CheckFailed) as failure:
        symbolic.prove_equal(a**2, a**3)
    assert str(failure.value).endswith(
        "; SymPy's 'broken' rewrite had reduced the difference to 0, so that rewrite is wrong here "
        "(a simplifier error, or an assumption it may not make)")


def test_the_constraint_is_put_in_first_for_the_expensive_rewrites(monkeypatch):
    cancel = lambda e: sp.cancel(sp.together(e))       # noqa: E731
    monkeypatch.setattr(symbolic, "_rewrites", lambda: [("slow cancel", cancel, False)])
    # 1/(q1 + q2 + q3) - 1 is 0 at once with q3 = 1 - q1 - q2 put in.
    assert symbolic.search_zero(1 / (q1 + q2 + q3) - 1, SUM_TO_ONE) == "the constraint, then slow cancel"
    assert symbolic.search_zero(1 / (q1 + q2 + q3) - 1, SUM_TO_ONE, cheap_only=True) is None
    monkeypatch.setattr(symbolic, "_rewrites", lambda: [("fast cancel", cancel, True)])
    assert symbolic.search_zero(1 / (q1 + q2 + q3) - 1, SUM_TO_ONE) == "fast cancel, then the constraint"


def test_no_where_branch_reduces_a_false_difference_to_zero():
    # Each is non-zero under q3 = 1 - q1 - q2 (and without it): the cheap rewrites, and the
    # constraint put in before or after them, must all leave it non-zero.
    product = q3 * (q1 + q2) - (1 - q1 - q2) * (q1 + q2)        # 0 under the constraint
    false = [q1 + q2 + q3 - 2, q3 - q1, sp.log(q3) - sp.log(q1), 1 / (q1 + q2 + q3) - 2,
             q1 + q2 + q3, product + 1]                            # the last two are 1 there
    for difference in false:
        assert symbolic.search_zero(difference, SUM_TO_ONE, cheap_only=True) is None
        assert symbolic.search_zero(difference, cheap_only=True) is None


def test_a_false_identity_invisible_at_the_points_is_not_proven_under_a_constraint(monkeypatch):
    # a + b + exp(-10^10 a^2) = 2a under b = a: false (at a -> 0 the sides differ by 1), but
    # the difference is below 1e-35 at every drawn point, so only SymPy can decide, and it must not
    # call it 0.  The cheap rewrites keep the test fast; the logic of the where= branches is the same.
    monkeypatch.setattr(symbolic, "_rewrites", lambda: symbolic_rewrites_cheap())
    lhs, rhs = a + b + sp.exp(-10**10 * a**2), 2 * a
    with pytest.raises(CheckFailed, match="identity is not proven: SymPy could not reduce") as f:
        symbolic.prove_equal(lhs, rhs, {b: a})
    assert not f.value.refuted
    assert symbolic.prove_equal(a + b, rhs, {b: a}) == \
        "SymPy (expand, then the constraint), and exact at 3 random points"


def symbolic_rewrites_cheap():
    return [(name, f, cheap) for name, f, cheap in REAL_REWRITES() if cheap]


REAL_REWRITES = symbolic._rewrites


def test_prove_equal_refuses_nan_and_names_what_it_checks():
    with pytest.raises(ValueError, match="the claim: nan is not a number"):
        symbolic.prove_equal(sp.nan, 1, what="the claim")
    with pytest.raises(ValueError, match="identity: zoo is not a number"):
        symbolic.prove_equal(1, sp.zoo)
    assert symbolic.prove_equal(a * b, b * a) == "SymPy (direct), and exact at 3 random points"


def test_a_refutation_names_the_first_seeded_point_and_blames_no_sound_rewrite():
    from helpers.verify.points import agree_at_points
    lhs, rhs = sp.exp(a + b), sp.exp(a) + sp.exp(b)
    counter = agree_at_points(lhs, rhs, None, n=3, seed=0)[1]
    with pytest.raises(CheckFailed) as failure:
        symbolic.prove_equal(lhs, rhs, what="the sum rule")
    assert str(failure.value) == f"the sum rule is false: {counter}" and failure.value.refuted


def test_the_expensive_rewrites_are_not_run_on_a_refuted_identity(monkeypatch):
    # A broken expensive rewrite would be blamed if it ran: it must not run once the points refute.
    broken = [("expand", sp.expand, True), ("broken", lambda e: sp.Integer(0), False)]
    monkeypatch.setattr(symbolic, "_rewrites", lambda: broken)
    with pytest.raises(CheckFailed) as failure:
        symbolic.prove_equal(a**2, a**3)
    assert "rewrite" not in str(failure.value) and failure.value.refuted


def test_an_identity_that_cannot_be_evaluated_anywhere_is_not_proven(monkeypatch):
    monkeypatch.setattr(symbolic, "agree_at_points", lambda *args, **kwargs: (0, None))
    with pytest.raises(CheckFailed, match="neither side could be evaluated at any random point"):
        symbolic.prove_equal(a * b, b * a)
    monkeypatch.setattr(symbolic, "agree_at_points", lambda *args, **kwargs: (1, None))
    assert symbolic.prove_equal(a * b, b * a) == "SymPy (direct), and exact at 1 random points"


def test_refute_equal_searches_24_points_from_seed_1():
    from helpers.verify.points import agree_at_points, random_points
    assert symbolic.refute_equal(a, a + 1) == agree_at_points(a, a + 1, None, n=24, seed=1)[1]
    assert symbolic.refute_equal(a, a) is None
    # max(a, c) = a is false only where a < c: choose c below the first 3 of the 24 values of a
    # drawn from seed 1 and above one of the later ones, so that only the whole search finds it.
    values = [p[a] for p in random_points({a}, None, 24, seed=1)]
    c = min(values[:3])
    assert min(values) < c
    assert symbolic.refute_equal(sp.Max(a, c), a) is not None
    assert agree_at_points(sp.Max(a, c), a, None, n=3, seed=1)[1] is None


# ---- symbolic.py: sign rules and integral certificates -------------------------------------

def test_the_sign_rules_decide_plain_expressions():
    assert is_nonnegative(x**2) and not is_nonnegative(x**2, strict=True)
    assert is_nonnegative(a) and is_nonnegative(a, strict=True)
    assert not is_nonnegative(-a) and not is_nonnegative(x)
    assert is_nonnegative((a - 1) ** 2 / (a * b), strict=False)
    for infinite in (sp.oo, a + sp.oo, sp.Max(a, sp.oo)):
        assert not is_nonnegative(infinite)


@pytest.mark.parametrize("integrand, low, high, nonnegative, positive", [
    ((r - 1) * (3 - r), 1, 3, True, True),      # >= 0 exactly on [1, 3], negative outside
    ((r - 1) * (r - 3), 1, 3, False, False),    # = -4/3: negative on (1, 3), positive outside
    (r**2, -2, -1, True, True),                 # an interval left of 0
    (1 - r, 1, 0, False, False),                # reversed limits: the integral is -1/2
    (r - 1, 0, 1, False, False),
    (sp.Integer(1), 1, 1, True, False),          # zero length: 0, which is >= 0, not > 0
    (r - 5, 1, 1, False, False),                 # zero length, but the integrand is < 0 there
    (sp.Integer(0), 0, 1, True, False),          # the integral of 0 is 0
    (x**2, 0, 1, True, False),                   # x may be 0
    (r * x**2, 1, 3, True, False),               # >= 0, not > 0, and SymPy alone cannot tell
])
def test_an_integral_certificate_is_checked_on_its_interval(integrand, low, high, nonnegative,
                                                            positive):
    # The rule itself (is_nonnegative adds SymPy's own verdict on the whole integral).
    integral = sp.Integral(integrand, (r, low, high))
    assert symbolic._integral_nonnegative(integral) is nonnegative
    if nonnegative:                  # (not >= 0 implies not > 0; the slow sign search is not repeated)
        assert symbolic._integral_nonnegative(integral, strict=True) is positive


def test_the_integrand_must_be_nonnegative_on_the_whole_interval():
    # 2 - r is >= 0 on [1, 2] but not on [1, 3] (where the integral is 0 only by cancellation).
    assert symbolic._integral_nonnegative(sp.Integral(2 - r, (r, 1, 2)))
    assert not symbolic._integral_nonnegative(sp.Integral(2 - r, (r, 1, 3)))
    assert not symbolic._integral_nonnegative(sp.Integral(2 - r, (r, 2, 3)))


def test_an_integral_that_is_not_a_single_ordered_finite_interval_is_not_a_certificate():
    assert not is_nonnegative(sp.Integral(1, (r, 0, 1), (t, 1, 0)))       # = -1
    assert not is_nonnegative(sp.Integral(1, (r, 1, -1)))                   # = -2, reversed
    # Improper integrals are never certificates, even convergent ones (= 1 here).
    assert not is_nonnegative(sp.Integral(sp.exp(-r), (r, 0, sp.oo)))
    assert not is_nonnegative(sp.Integral(sp.exp(r), (r, -sp.oo, 0)))
    assert not is_nonnegative(sp.Integral(r**2, r))                         # indefinite
    z = sp.Symbol("z")
    assert not is_nonnegative(sp.Integral(1, (r, 0, z)))                     # z may be complex
    assert is_nonnegative(sp.Integral(1, (r, 0, a)), strict=True)


def test_an_integral_inside_a_larger_certificate_keeps_its_sign():
    positive = sp.Integral((r - 1) * (3 - r), (r, 1, 3))
    nonnegative = sp.Integral(x**2, (r, 0, 1))
    assert is_nonnegative(a * positive, strict=True) and is_nonnegative(positive + nonnegative,
                                                                          strict=True)
    assert is_nonnegative(nonnegative * a) and not is_nonnegative(nonnegative * a, strict=True)
    assert not is_nonnegative(-positive) and not is_nonnegative(positive - 1)


def test_a_lemma_application_is_a_nonnegative_atom_even_where_sympy_cannot_sign_its_body():
    from helpers.verify.symbolic import Lemma
    # g(t) = t - 1 - log t >= 0 for t > 0 (the tangent bound; SymPy cannot sign the body itself).
    g = type("g", (Lemma,), {"nargs": 1, "body": t - 1 - sp.log(t), "variable": t})
    assert is_nonnegative(g(a / b)) and is_nonnegative(a * g(a) + g(b))
    assert not is_nonnegative(g(x)) and not is_nonnegative(-g(a))


def test_lemma_holds_only_where_its_argument_has_every_assumption():
    h = square_lemma()
    assert h(a / b).holds() and not h(x).holds() and not h(a - b).holds()
    assert is_nonnegative(h(a) + a) and not is_nonnegative(-h(a))
    assert not is_nonnegative(h(a), strict=True)             # h(1) = 0


def test_same_names_differ_lists_each_shared_name_once():
    x_pos, y_pos = sp.Symbol("x", positive=True), sp.Symbol("y", positive=True)
    assert symbolic.same_names_differ(x + y, x_pos * y_pos, x_pos) == ["x", "y"]
    assert symbolic.same_names_differ(x + a, x * a, a**2) == []
    assert symbolic.same_names_differ(x, a, x_pos, a) == ["x"]


def test_substitute_applies_a_mapping_and_leaves_the_rest():
    assert symbolic.substitute(q1 + q3, SUM_TO_ONE) == 1 - q2
    assert symbolic.substitute(2, None) == sp.Integer(2) and symbolic.substitute(a, {}) == a


# ---- tex.py: reading a hand-written display back ---------------------------------------------

def test_readable_accepts_only_the_faithfully_parsed_commands():
    assert tex.readable(r"\frac{1}{2} \alpha + \sqrt{\beta} \cdot \log(x)")
    assert tex.readable(r"\frac {a}{b}") and tex.readable("x^2 + y")
    assert not tex.readable(r"\frac12") and not tex.readable(r"\frac a b")
    assert not tex.readable(r"\sum_{i} x_i") and not tex.readable(r"\alpha + \E[x]")


def test_parse_reads_a_readable_display_and_nothing_else():
    assert str(tex._parse("x^{2} + 1")) == "x**2 + 1"
    assert tex._parse(r"\frac12") is None and tex._parse(r"\sum_k k") is None
    assert tex._parse("x + (") is None                    # does not parse


def test_compare_matches_sympys_own_rendering_even_where_the_parser_cannot_read_it():
    k, n = sp.symbols("k n", integer=True, positive=True)
    for expr in (sp.Sum(x**k, (k, 0, n)), sp.polygamma(1, x)):   # \sum, \operatorname: unreadable
        assert tex._parse(sp.latex(expr)) is None
        assert tex.compare(sp.latex(expr), expr) == (tex.MATCHES, None)


def test_compare_refuses_a_relation_and_reports_a_seeded_counterexample():
    assert tex.compare("x = 1", x) == (tex.UNREAD, None)    # parses, but to an equation
    assert tex.compare("x < 1", x) == (tex.UNREAD, None)
    verdict = tex.compare("x + 2", x + 1)    # the same three seeded points every time
    assert verdict == ("differs", "the display $x + 2$ reads as x + 2, but the check is on x + 1: "
                       "at x = -1181/250 the left side is -2.72400000000 and the right side "
                       "-3.72400000000 (they differ by 1.00)")


def test_a_display_with_a_tail_the_parser_would_drop_is_not_read_as_the_expression():
    # SymPy's lenient reading of "x + 1) + 5" is x + 1, of "x +" is x, and of "\\theta' + 1" is
    # theta + 1: each display shows something else than the checked expression.
    theta = sp.Symbol("theta", real=True)
    assert tex.compare("x + 1) + 5", x + 1) == (tex.UNREAD, None)
    assert tex.compare("x +", x) == (tex.UNREAD, None)
    assert tex.compare(r"\theta' + 1", theta + 1) == (tex.UNREAD, None)
    assert not tex.readable(r"\theta '") and tex.readable(r"\frac{a'}{b}")
    assert not tex.readable(r"\Theta' + 1")    # an upper-case command drops its prime too
    assert tex.compare(r"1 + \theta", theta + 1) == (tex.MATCHES, None)
    d = Derivation(x + 1).eq(1 + x, "commute", tex="x + 1) + 5")
    assert d.strength == "stand-in" and "checked as $x + 1$" in d._repr_markdown_()


def test_compare_verdicts():
    assert tex.compare("  x^{2} ", x**2) == (tex.MATCHES, None)       # SymPy's own LaTeX
    assert tex.compare(r"x \cdot x", x**2) == (tex.MATCHES, None)     # read back and proven
    assert tex.compare("x = 2", x) == (tex.UNREAD, None)               # not an expression
    assert tex.compare("x + w", x) == (tex.UNREAD, None)               # a symbol the check lacks
    assert tex.compare(r"\E[x]", x) == (tex.UNREAD, None)
    verdict, why = tex.compare("x^3", x**2)
    assert verdict == "differs" and why.startswith("the display $x^3$ reads as x**3, but the check "
                                                   "is on x**2: at x = ")


def test_compare_reads_latex_names_and_known_functions():
    x1 = sp.Symbol("x1", positive=True)
    assert tex.compare("x_{1} + x_{1}", 2 * x1) == (tex.MATCHES, None)       # the name x_{1}
    f = sp.Function("f")
    assert tex.compare("f(a) + f(a)", 2 * f(a)) == (tex.MATCHES, None)
    assert tex.compare("g(a)", f(a)) == (tex.UNREAD, None)                   # another function


def test_compare_uses_the_abbreviations():
    m = sp.Symbol("m", positive=True)
    assert tex.compare(r"\log(m)", sp.log(a + b), abbreviate={m: a + b}) == (tex.MATCHES, None)
    assert tex.compare(r"\log(m)", sp.log(a + b)) == (tex.UNREAD, None)
    verdict, _ = tex.compare(r"\log(2 m)", sp.log(a + b), abbreviate={m: a + b})
    assert verdict == "differs"
    # m stands for something with a symbol the checked expression lacks: cannot compare.
    assert tex.compare("m", a, abbreviate={m: a + c}) == (tex.UNREAD, None)
    d = Derivation(sp.log(a + b), abbreviate={m: a + b}, tex=r"\log(m)").eq(sp.log(b + a), "commute")
    assert d.strength == "proof"


def test_compare_refuses_to_read_what_cannot_be_evaluated():
    assert tex.compare(r"\frac{1}{x - x}", x) == (tex.UNREAD, None)


# ---- display.py: how checks look on the page ----------------------------------------------

PROOF_MARK = ('[✔ proof](intro.md#how-strongly-each-result-is-checked '
              '"proven symbolically, in general, as displayed")')


def test_the_mark_links_the_strength_to_the_legend():
    from helpers.verify import display
    assert display.mark("proof") == PROOF_MARK
    assert display.mark("exact-instances").startswith("[✔ exact instances](intro.md#how-strongly")
    assert display.equation("eq-x") == "{eq}`eq-x`" and display.equation(None) == ""
    assert display.math_block("a = b") == "$$\na = b\n$$\n"


def test_a_reason_is_plain_text_with_math_kept_and_specials_escaped():
    from helpers.verify import display
    assert display.reason_tex("X & Y, 100% #1 a_b {c}") == \
        r"\small \text{X \& Y, 100\% \#1 a\_b \{c\}}"
    assert display.reason_tex("by $x^2$ and $y$") == r"\small \text{by }x^2\text{ and }y"
    assert display.reason_tex("$x$") == r"\small x"
    for bad in ("", "  ", 5, None):
        with pytest.raises(ValueError, match="reason must be a non-empty string, got"):
            display.reason_tex(bad)
    with pytest.raises(ValueError, match=r"reason has an unmatched '\$': 'costs \$5'"):
        display.reason_tex("costs $5")


def test_stacked_sides_and_the_footer():
    from helpers.verify import display
    assert display.stacked(["a", "b"], ["c"], ["d", "e"], relations=("=", r"\ge")) == (
        "\\begin{aligned}\n&a \\\\\n&\\quad b \\\\\n&= c \\\\\n&\\ge d \\\\\n&\\quad e\n\\end{aligned}")
    assert display.footer("proof", "eq-x", ["n1", "n2"]) == \
        f"\n<small>{PROOF_MARK} {{eq}}`eq-x`: n1; n2.</small>\n"
    assert display.footer("proof", None, []) == f"\n<small>{PROOF_MARK}</small>\n"


def test_lines_break_a_sum_between_terms_at_the_width():
    from helpers.verify import display
    p, q, s, u = sp.symbols("p q s u")
    expr = p + q - s + u                          # "p + q - s + u": pieces "p", " + q", " - s", " + u"
    assert display.lines(expr, width=13) == ["p + q - s + u"]
    assert display.lines(expr, width=12) == ["p + q - s", "+ u"]
    assert display.lines(expr, width=7) == ["p + q", "- s + u"]
    assert display.lines(expr, width=6) == ["p + q", "- s", "+ u"]
    assert display.lines(-p + q, width=1) == ["- p", "+ q"]
    assert display.lines(p * q * s * u, width=1) == ["p q s u"]          # one term: kept whole
    assert display.lines(expr, width=1, shown="E") == ["E"]
    assert display._signed_terms(-p) == [("-", "p")] and display._signed_terms(p) == [("+", "p")]
    assert display.latex(p**2) == "p^{2}"


def test_lines_break_the_summand_of_a_long_sum_inside_brackets():
    from helpers.verify import display
    p, q, k, n = sp.symbols("p q k n")
    total = sp.Sum(p + q * k, (k, 1, n))           # \sum_{k=1}^{n} \left(k q + p\right)
    assert display.lines(total, width=4) == [r"\sum_{k=1}^{n} \Bigl(k q", r"+ p \Bigr)"]
    assert display.lines(total, width=8) == [r"\sum_{k=1}^{n} \left(k q + p\right)"]
    three = sp.Sum(p + q * k + k**2, (k, 1, n))    # the closing bracket on the last of three lines
    assert display.lines(three, width=4) == [r"\sum_{k=1}^{n} \Bigl(k^{2}", "+ k q", r"+ p \Bigr)"]
    assert display.lines(total, width=40) == [r"\sum_{k=1}^{n} \left(k q + p\right)"]


def test_short_math_replaces_only_long_formulas():
    from helpers.verify import display
    assert display.short_math("a $x$ b") == "a $x$ b"
    seventy = "x" * 70
    assert display.short_math(f"see ${seventy}$ here") == f"see ${seventy}$ here"
    assert display.short_math(f"see ${seventy}x$ here") == "see the formula as displayed here"
    assert display.short_math("see $xx$ here", width=1) == "see the formula as displayed here"
    assert display.short_math("cost $5") == "cost $5"               # unmatched: left alone
    # labels in its words become equation numbers; math is left alone
    assert (display.short_math("the Gaussian of (eq-gauss), $eq-x$, eq-y")
            == "the Gaussian of {eq}`eq-gauss`, $eq-x$, {eq}`eq-y`")
    assert display.short_math("cost $5, eq-y") == "cost $5, {eq}`eq-y`"


# ---- ledger.py: the chapter's report ---------------------------------------------------------

def _checks(*strengths, label="eq-a"):
    from helpers.verify import Check
    return tuple(Check("close", s, f"what {i}", f"detail {i}", label) for i, s in enumerate(strengths))


def test_a_report_counts_results_by_strength_and_carries_its_ledger():
    from helpers.verify.ledger import Report, Result
    results = (Result("eq-a", _checks("numeric", "proof")), Result("eq-b", _checks("sampled")),
               Result("eq-c", _checks("numeric")))
    rep = Report("ch.md", results, ("eq-d",), 7)
    assert results[0].strength == "proof"
    assert rep.counts() == {"proof": 1, "stand-in": 0, "exact-instances": 0, "sampled": 1,
                            "monte-carlo": 0, "numeric": 1}
    assert rep.ledger() == {"chapter": "ch.md", "passed": 7, "definitions": ["eq-d"], "results": [
        {"label": "eq-a", "strength": "proof", "checks": [
            {"kind": "close", "strength": "numeric", "what": "what 0", "detail": "detail 0"},
            {"kind": "close", "strength": "proof", "what": "what 1", "detail": "detail 1"}]},
        {"label": "eq-b", "strength": "sampled", "checks": [
            {"kind": "close", "strength": "sampled", "what": "what 0", "detail": "detail 0"}]},
        {"label": "eq-c", "strength": "numeric", "checks": [
            {"kind": "close", "strength": "numeric", "what": "what 0", "detail": "detail 0"}]}]}
    assert repr(rep) == ("eq-a: proof (what 0; what 1)\neq-b: sampled (what 0)\n"
                         "eq-c: numeric (what 0)\n7 checks passed in all")


def test_the_rendered_report_lists_each_result_with_its_mark():
    import json
    from helpers.verify import display
    from helpers.verify.ledger import Report, Result
    rep = Report("ch.md", (Result("eq-a", _checks("proof")), Result("eq-b", _checks("numeric"))),
                 ("eq-d", "eq-e"), 2)
    text = rep._repr_markdown_()
    head, table, comment = text.split("\n\n")[0], text.split("\n\n")[2], text.split("\n\n")[3]
    assert head == (f"**All 2 labelled results of this chapter were checked when this page was built**: "
                    f"1 {PROOF_MARK}, 1 {display.mark('numeric')} (2 checks passed in all).")
    assert text.split("\n\n")[1] == ("Labelled definitions, which are not results and are not "
                                     "checked: {eq}`eq-d`, {eq}`eq-e`.")
    assert table == ("| equation | strength | what was checked |\n|---|---|---|\n"
                     f"| {{eq}}`eq-a` | {PROOF_MARK} | what 0 |\n"
                     f"| {{eq}}`eq-b` | {display.mark('numeric')} | what 0 |")
    assert comment.startswith("<!-- elbo-ledger ") and comment.endswith(" -->\n")
    assert json.loads(comment[len("<!-- elbo-ledger "):-len(" -->\n")]) == rep.ledger()
    plain = Report("ch.md", (Result("eq-a", _checks("proof")),), (), 1)._repr_markdown_()
    assert "Labelled definitions" not in plain
    from helpers.verify import Check
    greek = Report("ch.md", (Result("eq-a", (Check("close", "proof", "α ≥ 0", "d", "eq-a"),)),), (), 1)
    comment = greek._repr_markdown_().split("<!-- elbo-ledger ")[1]
    assert comment.isascii() and json.loads(comment[:-len(" -->\n")]) == greek.ledger()


def test_what_shows_the_best_two_checks_and_counts_the_rest():
    from helpers.verify.ledger import Result, _what, _cell
    assert _what(Result("eq-a", _checks("proof", "proof"))) == "what 0; what 1"
    assert _what(Result("eq-a", _checks("proof", "proof", "proof", "proof"))) == \
        "what 0; what 1 (and 2 more)"
    assert _what(Result("eq-a", _checks("proof", "proof", "proof"))) == \
        "what 0; what 1 (and 1 more)"
    assert _what(Result("eq-a", _checks("proof", "numeric", "sampled", "numeric"))) == \
        "what 0; also 2 numeric, 1 sampled"
    from helpers.verify import Check
    same = Result("eq-a", (Check("close", "proof", "same", "d", "eq-a"),) * 2)
    assert _what(same) == "same"                               # a repeated statement, once
    assert _cell("a | b\nc") == r"a \| b c"
    assert _cell("$" + "x" * 71 + "$") == "the formula as displayed"


def test_report_refuses_a_bad_chapter_and_lists_every_problem(tmp_path):
    for bad in (5, None, tmp_path / "missing.md"):
        with pytest.raises(ValueError, match="chapter must be the path of the chapter's MyST file"):
            report(bad)
    chapter = tmp_path / "chapter.md"
    chapter.write_text("$$\nf := 1\n$$ (eq-def)\n\n$$\n1 = 1\n$$ (eq-one)\n\n$$\n2 = 2\n$$ (eq-two)\n")
    assert_close(1.0, 1.0, label="eq-def")
    assert_close(1.0, 1.0, label="eq-one")
    assert_close(1.0, 1.0, label="eq-zzz")
    with pytest.raises(CheckFailed) as failure:
        report(chapter)
    assert str(failure.value) == (
        f"{chapter}: checks claim to verify definitions, which are not results: ['eq-def']; "
        "labelled equations with no passing check: ['eq-two']; "
        "checks naming labels the chapter does not define: ['eq-zzz']")


def test_report_leaves_definitions_out_of_the_results(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text("$$\nf := 1\n$$ (eq-def)\n\n$$\n1 = 1\n$$ (eq-one)\n")
    assert_close(1.0, 1.0, label="eq-one")
    assert_close(1.0, 1.0, label="eq-one")
    result = report(str(chapter))
    assert result.chapter == str(chapter) and result.definitions == ("eq-def",)
    assert [r.label for r in result.results] == ["eq-one"] and len(result.results[0].checks) == 2
    assert result.passed == 2


def test_the_legend_lists_every_strength_with_its_meaning():
    from helpers.verify import STRENGTHS
    lines = verify.legend().split("\n")
    assert len(lines) == len(STRENGTHS)
    assert lines[0] == "- **✔ proof**: proven symbolically, in general, as displayed."
    assert lines[2] == ("- **✔ exact instances**: evaluated exactly, to 50 significant digits, "
                        "at seeded random points.")


# ---- proof_cache.py: a changed statement never reuses an old proof ----------------------------

@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh proof cache file, enabled."""
    from helpers.verify import proof_cache
    path = tmp_path / "cache.jsonl"
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(path))
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    return path


def test_a_proof_under_a_constraint_is_not_reused_without_it(cache, monkeypatch):
    from helpers.verify import proof_cache, symbolic
    from helpers.verify.symbolic import prove_equal, prove_zero
    cheap = [rewrite for rewrite in symbolic._rewrites() if rewrite[2]]
    monkeypatch.setattr(symbolic, "_rewrites", lambda: cheap)      # fast; the cache is the subject
    q1, q2, q3 = sp.symbols("q1 q2 q3", positive=True)
    where = {q3: 1 - q1 - q2}
    assert prove_equal(q1 + q2 + q3, 1, where) == \
        "SymPy (expand, then the constraint), and exact at 3 random points"
    assert prove_equal(q1 + q2 + q3, 1, where).endswith(" (remembered)")
    with pytest.raises(CheckFailed, match="is false"):       # false without the constraint
        prove_equal(q1 + q2 + q3, 1)
    assert prove_zero(q1 + q2 + q3 - 1, where) == "expand, then the constraint"
    assert prove_zero(q1 + q2 + q3 - 1, where) == "expand, then the constraint (remembered)"
    assert prove_zero(q1 + q2 + q3 - 1) is None
    assert prove_zero(q1 + q2 + q3 - 2, where) is None                 # another difference
    monkeypatch_memory = proof_cache._MEMORY
    proof_cache._MEMORY = None                                       # a new run reads the file
    assert prove_zero(q1 + q2 + q3 - 1, where).endswith("(remembered)")
    proof_cache._MEMORY = monkeypatch_memory


def test_a_failed_or_changed_step_is_checked_afresh(cache):
    d = Derivation((a + b) ** 2).eq(a**2 + 2 * a * b + b**2, "expand")
    assert "remembered" not in d.steps[0].how
    assert "(remembered)" in Derivation((a + b) ** 2).eq(a**2 + 2 * a * b + b**2, "e").steps[0].how
    with pytest.raises(CheckFailed, match="is false"):                # one sign changed
        Derivation((a + b) ** 2).eq(a**2 - 2 * a * b + b**2, "expand")
    with pytest.raises(CheckFailed, match="is false"):                # the sides swapped in a power
        Derivation((a + b) ** 3).eq(a**2 + 2 * a * b + b**2, "expand")


def test_keys_separate_every_part_of_a_check():
    from helpers.verify import proof_cache
    key = proof_cache.key
    assert key("equal", a, b) == key("equal", a, b)
    assert len({key("equal", a, b), key("equal", b, a), key("zero", a, b), key("equal", a),
                key("equal", a, b, None), key("equal", a, b, {}), key("equal", "ab"),
                key("equal", "a", "b"), key("equal", "1"), key("equal", 1), key("equal", "py:1"),
                key("equal", (a, b)), key("equal", [a, b]), key("equal", x, b)}) == 14 - 1
    # [a, b] and (a, b) are one list of parts; every other pair differs.
    assert key("equal", (a, b)) == key("equal", [a, b])
    assert key("equal", {a: 1, b: 2}) == key("equal", {b: 2, a: 1})          # order of a mapping
    assert key("equal", {a: 1, b: 2}) != key("equal", {a: 2, b: 1})
    f, g = sp.Function("f", positive=True), sp.Function("f")
    assert key("equal", f(a)) != key("equal", g(a))                         # assumptions of f
    assert key("equal", sp.Dummy("d")) != key("equal", sp.Dummy("d"))        # two dummies


def test_keys_depend_on_the_sympy_version_and_the_checker_source(monkeypatch, tmp_path):
    from helpers.verify import proof_cache
    before = proof_cache.key("equal", a)
    monkeypatch.setattr(sp, "__version__", "0.0")
    assert proof_cache.key("equal", a) != before
    monkeypatch.undo()
    checker = tmp_path / "verify"
    checker.mkdir()
    (checker / "one.py").write_text("x = 1\n")
    (checker / "two.py").write_text("y = 2\n")
    (checker / "notes.txt").write_text("not source\n")
    monkeypatch.setattr(proof_cache, "_CHECKER", checker)
    digests = []
    for change in (None, lambda: (checker / "notes.txt").write_text("other"),
                   lambda: (checker / "two.py").write_text("y = 3\n"),
                   lambda: (checker / "two.py").rename(checker / "three.py"),
                   lambda: (checker / "one.py").write_text("x = 1\ny = 3\n")
                   or (checker / "three.py").write_text("")):
        if change:
            change()
        monkeypatch.setattr(proof_cache, "_SOURCE_DIGEST", None)
        digests.append(proof_cache._source())
        assert proof_cache._source() is digests[-1]           # computed once per run
    assert digests[0] == digests[1]                           # only the .py files count
    assert len(set(digests[1:])) == 4                         # content, name, boundary: all count
    monkeypatch.setattr(proof_cache, "_SOURCE_DIGEST", b"another checker")
    assert proof_cache.key("equal", a) != before


@pytest.mark.parametrize("setting, expected", [
    ("off", None), ("OFF", None), ("0", None), ("no", None), ("", "default"), ("custom.jsonl", "custom")])
def test_the_cache_path_setting(monkeypatch, setting, expected):
    from pathlib import Path
    from helpers.verify import proof_cache
    monkeypatch.setenv("ELBO_PROOF_CACHE", setting)
    path = proof_cache._path()
    if expected is None:
        assert path is None and not proof_cache.enabled() and proof_cache.lookup("k") is None
    elif expected == "default":
        root = Path(proof_cache.__file__).resolve().parents[2]
        assert path == root / "_build" / "proof-cache.jsonl" and proof_cache.enabled()
    else:
        assert path == Path("custom.jsonl")


def test_the_cache_file_survives_torn_lines_and_a_new_run(cache, monkeypatch):
    from helpers.verify import proof_cache
    nested = cache.parent / "deep" / "er" / "cache.jsonl"
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(nested))
    proof_cache.store("k1", "v1")
    proof_cache.store("k2", {"result": None})
    with open(nested, "a", encoding="utf-8") as handle:
        handle.write('{"key": "torn", "val\n[1, 2]\n{"value": 3}\n')
    proof_cache.store("k3", "v3")
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    assert [proof_cache.lookup(k) for k in ("k1", "k2", "k3", "torn")] == ["v1", {"result": None}, "v3",
                                                                           None]
    assert proof_cache._load() == {"k1": "v1", "k2": {"result": None}, "k3": "v3"}
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(cache.parent))      # a directory: cannot be written
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    proof_cache.store("k4", "v4")                                   # no error: simply not cached
    assert proof_cache.lookup("k4") == "v4"                          # (kept in memory for this run)


def test_remembered_keeps_what_keep_allows_and_boxes_none(cache, monkeypatch):
    from helpers.verify import proof_cache
    calls = []

    def compute(expr, flag):
        calls.append(expr)
        return None if flag == "none" else (str(expr), flag) if flag == "pair" else [1]

    cached = proof_cache.remembered("test-kind", keep=lambda result: result != [1])(compute)
    assert cached.__name__ == "compute"
    assert cached(a, "none") is None and cached(a, "none") is None and len(calls) == 1
    assert cached(a, "pair") == ("a", "pair") and cached(a, "pair") == ("a", "pair")
    assert len(calls) == 2 and isinstance(cached(a, "pair"), tuple)    # a tuple comes back a tuple
    assert cached(b, "pair") == ("b", "pair") and len(calls) == 3       # another argument
    assert cached(a, "list") == [1] and cached(a, "list") == [1] and len(calls) == 5   # not kept
    monkeypatch.setattr(proof_cache, "_MEMORY", None)                 # a new run: read from the file
    assert cached(a, "none") is None and len(calls) == 5
    monkeypatch.setenv("ELBO_PROOF_CACHE", "off")
    assert cached(a, "none") is None and len(calls) == 6              # off: always computed
