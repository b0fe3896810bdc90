"""Every kind of check in helpers.verify passes a right input and fails a wrong one."""

import numpy as np
import pytest
import sympy as sp

from helpers import verify
from helpers.finite import probability_symbols
from helpers.verify import (CheckFailed, Derivation, assert_close, assert_fails, assert_identity,
                            assert_inequality, assert_mc_close, is_nonnegative, report)

a, b, t = sp.symbols("a b t", positive=True)
x, y = sp.symbols("x y", real=True)
r = sp.Symbol("r")


@pytest.fixture(autouse=True)
def empty_registry():
    verify.clear_registry()
    yield
    verify.clear_registry()


def uniform_instances(*symbols, low=1, high=10**4):
    """Random positive rationals for ``symbols``."""
    def draw(rng):
        return {s: sp.Rational(int(rng.integers(low, high)), 100) for s in symbols}
    return draw


# ---- equality steps --------------------------------------------------------

def test_equality_step_is_proven():
    d = Derivation(sp.log(a * b)).eq(sp.log(a) + sp.log(b), "log of a product")
    assert d.relation == "=" and "SymPy" in d.steps[0].how


def test_wrong_equality_step_fails():
    with pytest.raises(CheckFailed, match="step 1"):
        Derivation(sp.log(a + b)).eq(sp.log(a) + sp.log(b), "not a rule")


def test_log_rules_need_positivity():
    # log(xy) = log x + log y is false for negative x, y; no forced rewrite may prove it.
    with pytest.raises(CheckFailed):
        Derivation(sp.log(x * y)).eq(sp.log(x) + sp.log(y), "needs x, y > 0")


def test_constraint_is_used_after_rewriting():
    w, sums_to_one = probability_symbols("w", 3)
    total = sum(w)
    Derivation(sp.log(total * a), where=sums_to_one).eq(sp.log(a), "weights sum to one")
    with pytest.raises(CheckFailed):
        Derivation(sp.log(total * a)).eq(sp.log(a), "no constraint given")


def test_wrong_step_in_the_middle_is_reported_with_its_number():
    d = Derivation((a + b) ** 2).eq(a**2 + 2 * a * b + b**2, "expand")
    with pytest.raises(CheckFailed, match="step 2"):
        d.eq(a**2 + b**2, "forgot the cross term")


# ---- inequality steps: certificates -----------------------------------------

def test_certificate_step_is_proven():
    d = Derivation((x + 1) ** 2).ge(2 * x + 1, "a square is non-negative", certificate=x**2)
    assert d.relation == ">="


def test_certificate_not_equal_to_the_gap_fails():
    with pytest.raises(CheckFailed, match="not equal to the certificate"):
        Derivation((x + 1) ** 2).ge(2 * x, "wrong certificate", certificate=x**2)


def test_certificate_of_unknown_sign_fails():
    with pytest.raises(CheckFailed, match="not shown to be >= 0"):
        Derivation(x + 1).ge(1, "x could be negative", certificate=x)


def test_strict_step_needs_a_positive_certificate():
    Derivation(x**2 + 1).gt(x**2, "one is positive", certificate=sp.Integer(1))
    with pytest.raises(CheckFailed, match="> 0"):
        Derivation(x**2 + 1).gt(1, "x may be 0", certificate=x**2)


def test_less_equal_step_uses_the_reversed_gap():
    d = Derivation(2 * a * b).le(a**2 + b**2, "AM-GM", certificate=(a - b) ** 2)
    assert d.relation == "<="
    with pytest.raises(CheckFailed):
        Derivation(a**2 + b**2).le(2 * a * b, "wrong direction", certificate=(a - b) ** 2)


def test_integral_certificates():
    positive = sp.Integral(1 / (1 + t * r), (r, 0, 1))
    assert is_nonnegative(positive) and is_nonnegative(positive, strict=True)
    assert not is_nonnegative(sp.Integral(r - 1, (r, 0, 1)))
    assert not is_nonnegative(sp.Integral(1 - r, (r, 1, 0)))   # reversed limits


def test_lemma_certificate_and_its_domain():
    remainder = sp.Integral((1 - r) / (1 + (t - 1) * r) ** 2, (r, 0, 1))
    lemma = (Derivation(t - 1 - sp.log(t))
             .eq((t - 1) ** 2 * remainder, "Taylor")
             .ge(0, "square times positive integral", certificate=(t - 1) ** 2 * remainder))
    h = lemma.as_lemma(t, "h")
    assert is_nonnegative(a * h(a / b))
    assert not is_nonnegative(h(x))              # x may be negative: outside the lemma
    Derivation(a / b - 1).ge(sp.log(a / b), "tangent bound", certificate=h(a / b))
    with pytest.raises(CheckFailed):
        Derivation(a / b).ge(sp.log(a / b), "gap is h + 1, not h", certificate=h(a / b))


def test_lemma_must_end_in_zero():
    not_a_lemma = Derivation(x**2 + 1).ge(1, "square", certificate=x**2)
    with pytest.raises(ValueError, match=">= 0"):
        not_a_lemma.as_lemma(x, "g")
    with pytest.raises(ValueError, match=">= 0"):
        Derivation(x**2 + 2).ge(1, "lemma does not prove this", certificate=not_a_lemma)


# ---- inequality steps: random instances --------------------------------------

def test_instances_step_holds():
    d = Derivation(sp.log((a + b) / 2)).ge((sp.log(a) + sp.log(b)) / 2, "concavity",
                                           instances=uniform_instances(a, b))
    assert "200 random instances" in d.steps[0].how


def test_instances_step_violated_fails():
    with pytest.raises(CheckFailed, match="violated"):
        Derivation((sp.log(a) + sp.log(b)) / 2).ge(sp.log((a + b) / 2), "reversed",
                                                   instances=uniform_instances(a, b))


def test_instances_must_set_every_symbol():
    with pytest.raises(ValueError, match="unset"):
        Derivation(a + b).ge(a, "b > 0", instances=uniform_instances(a))


def test_step_needs_exactly_one_kind_of_evidence():
    with pytest.raises(ValueError, match="exactly one"):
        Derivation(x**2).ge(0, "no evidence")
    with pytest.raises(ValueError, match="exactly one"):
        Derivation(x**2).ge(0, "both", certificate=x**2, instances=uniform_instances(a))


def test_mixed_directions_are_refused():
    d = Derivation((x + 1) ** 2).ge(2 * x + 1, "square", certificate=x**2)
    with pytest.raises(ValueError, match="mix"):
        d.le(2 * x + 2, "and now up", certificate=sp.Integer(1))


# ---- the chain as a whole ----------------------------------------------------

def test_relation_of_a_chain_is_strict_if_any_step_is():
    d = (Derivation(x**2 + 2).ge(x**2 + 1, "drop one", certificate=sp.Integer(1))
         .gt(x**2, "drop another", certificate=sp.Integer(1)))
    assert d.relation == ">"


def test_rendering_shows_every_step_with_reason_and_check():
    d = (Derivation(sp.log(a * b))
         .eq(sp.log(a) + sp.log(b), "log of a product, with 100% of the rule_s")
         .qed("eq-test"))
    text = d._repr_markdown_()
    assert text.count(r"\checkmark") == len(d.steps) == 1
    assert r"100\% of the rule\_s" in text and "eq-test" in text


def test_reason_with_unbalanced_dollar_is_refused():
    with pytest.raises(ValueError, match="unmatched"):
        Derivation(a).eq(a, "costs $5")._repr_markdown_()


def test_abbreviation_only_changes_the_display():
    xbar = sp.Symbol(r"\bar{x}")
    d = Derivation(sp.log(a + b), abbreviate={xbar: a + b}).eq(sp.log(b + a), "commute")
    assert r"\bar{x}" in d.latex() and d.steps[0].expr == sp.log(a + b)


def test_qed_needs_a_step():
    with pytest.raises(ValueError, match="at least one step"):
        Derivation(a).qed("eq-empty")


# ---- identities and numbers --------------------------------------------------

def test_assert_identity():
    assert_identity(sp.exp(sp.log(a) + sp.log(b)), a * b)
    with pytest.raises(CheckFailed, match="not 0"):
        assert_identity(sp.exp(a + b), sp.exp(a) + sp.exp(b))


def test_mc_close_accepts_a_correct_estimator_and_rejects_a_wrong_target():
    rng = np.random.default_rng(1)
    samples = rng.normal(3.0, 2.0, size=10_000)
    assert_mc_close(samples, 3.0, z=4)
    se = 2.0 / np.sqrt(samples.size)
    with pytest.raises(CheckFailed, match="standard errors"):
        assert_mc_close(samples, 3.0 + 10 * se, z=4)


def test_mc_close_rejects_a_sum_in_place_of_a_mean():
    # Seed 003's estimator of p(x) sums n terms instead of averaging them.
    rng = np.random.default_rng(2)
    draws = rng.exponential(1.0, size=(2_000, 10))
    assert_mc_close(draws.mean(axis=1), 1.0)
    with pytest.raises(CheckFailed):
        assert_mc_close(draws.sum(axis=1), 1.0)


def test_mc_close_bad_input():
    with pytest.raises(ValueError, match="samples must be finite"):
        assert_mc_close([1.0, np.nan, 2.0], 1.0)
    with pytest.raises(ValueError, match="at least 2"):
        assert_mc_close([1.0], 1.0)
    with pytest.raises(ValueError, match="z must be positive"):
        assert_mc_close([1.0, 2.0], 1.5, z=0)


def test_mc_close_with_constant_samples_needs_the_exact_value():
    assert_mc_close(np.full(5, 2.0), 2.0)
    with pytest.raises(CheckFailed):
        assert_mc_close(np.full(5, 2.0), 2.1)


def test_assert_close():
    assert_close([1.0, 2.0], [1.0, 2.0 + 1e-15], rtol=1e-12)
    with pytest.raises(CheckFailed, match="differs"):
        assert_close([1.0, 2.0], [1.0, 2.001], rtol=1e-6)
    with pytest.raises(ValueError, match="broadcast"):
        assert_close([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="non-negative"):
        assert_close(1.0, 1.0, rtol=-1)


def test_assert_inequality():
    assert_inequality([2.0, 3.0], [1.0, 3.0])
    with pytest.raises(CheckFailed, match="1 of 2"):
        assert_inequality([2.0, 3.0], [1.0, 3.5])
    with pytest.raises(ValueError, match="finite"):
        assert_inequality([np.inf], [0.0])


def test_assert_fails():
    refutation = assert_fails("1 = 2", assert_identity, sp.Integer(1), sp.Integer(2))
    assert "1 = 2" in repr(refutation)
    with pytest.raises(CheckFailed, match="expected this check to fail"):
        assert_fails("1 = 1", assert_identity, sp.Integer(1), sp.Integer(1))


def test_assert_fails_does_not_credit_its_label():
    assert_fails("wrong", assert_close, 1.0, 2.0, label="eq-wrong")
    assert "eq-wrong" not in verify.checked_labels()


# ---- the label registry and the chapter report --------------------------------

CHAPTER = """\
# A chapter

$$
a = b
$$ (eq-first)

```{math}
:label: eq-second
c = d
```
"""


def test_labels_must_look_like_equation_labels():
    with pytest.raises(ValueError, match="eq-"):
        assert_identity(a, a, label="first")


def test_report_requires_every_label_checked(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER)
    assert_identity(a, a, label="eq-first")
    with pytest.raises(CheckFailed, match="eq-second"):
        report(chapter)
    assert_close(1.0, 1.0, label="eq-second")
    rows = dict(report(chapter).rows)
    assert set(rows) == {"eq-first", "eq-second"}


def test_report_rejects_a_check_naming_an_unknown_label(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER)
    assert_identity(a, a, label="eq-first")
    assert_identity(a, a, label="eq-second")
    assert_identity(a, a, label="eq-frist")
    with pytest.raises(CheckFailed, match="eq-frist"):
        report(chapter)


def test_report_counts_every_passed_check(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER)
    (Derivation((x + 1) ** 2).eq(x**2 + 2 * x + 1, "expand")
     .ge(2 * x + 1, "square", certificate=x**2).qed("eq-first"))   # 2 steps
    assert_close(1.0, 1.0, label="eq-second")                       # 1
    assert_fails("1 = 2", assert_identity, sp.Integer(1), sp.Integer(2))   # 1
    with pytest.raises(CheckFailed):
        assert_identity(sp.Integer(1), sp.Integer(3))               # failed: not counted
    assert report(chapter).passed == 4
    assert "4 checks passed" in report(chapter)._repr_markdown_()
