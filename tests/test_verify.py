"""Every kind of check in helpers.verify passes a right input and fails a wrong one."""

import numpy as np
import pytest
import sympy as sp

from helpers import verify
from helpers.finite import probability_symbols
from helpers.verify import (CheckFailed, Derivation, assert_close, assert_fails, assert_identity,
                            assert_inequality, assert_mc_close, is_nonnegative, report)
from verify_fixtures import empty_registry  # noqa: F401  (autouse)

a, b, t = sp.symbols("a b t", positive=True)
x, y = sp.symbols("x y", real=True)
r = sp.Symbol("r")



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
    site, pdf = text.split("```{only} latex\n")
    assert site.count("✓") == pdf.count("✓") == len(d.steps) == 1   # once on the site, once in the PDF
    assert r"100% of the rule\_s" in site and "{eq}`eq-test`" in text
    assert "Step 1: log of a product, with 100% of the rule\\_s ✓." in pdf


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
    with pytest.raises(CheckFailed, match="is false: at a = .* differ by") as failure:
        assert_identity(sp.exp(a + b), sp.exp(a) + sp.exp(b))
    assert failure.value.refuted


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
    with pytest.raises(ValueError, match="at least 30"):
        assert_mc_close([1.0] * 29, 1.0)
    with pytest.raises(ValueError, match=r"z must be in \(0, 6\]"):
        assert_mc_close(np.arange(40.0), 19.5, z=0)


def test_mc_close_with_constant_samples_needs_the_exact_value():
    assert_mc_close(np.full(50, 2.0), 2.0)
    with pytest.raises(CheckFailed):
        assert_mc_close(np.full(50, 2.0), 2.1)


def test_assert_close():
    assert_close([1.0, 2.0], [1.0, 2.0 + 1e-15], rtol=1e-12)
    with pytest.raises(CheckFailed, match="differs"):
        assert_close([1.0, 2.0], [1.0, 2.001], rtol=1e-6)
    with pytest.raises(ValueError, match="broadcast"):
        assert_close([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
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
    with pytest.raises(CheckFailed, match="expected this check to refute the claim"):
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
    result = report(chapter)
    assert [r.label for r in result.results] == ["eq-first", "eq-second"]
    assert [r.strength for r in result.results] == ["proof", "numeric"]


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


# ---- holes: false statements the checker must refuse ---------------------------
# Each test builds a false (or unproven) conclusion and expects it to be refused
# with a message that says why.  VH1-VH9 are the holes of the review of 57c596c.

def test_vh1_a_certificate_proven_under_its_own_where_is_not_reused_without_it():
    s = sp.Symbol("s", positive=True)
    cert = Derivation(s - 2, where={s: 2}).eq(0, "s is two")
    with pytest.raises(CheckFailed, match="proven under where=.*does not assume"):
        Derivation(s).ge(2, "c", certificate=cert)          # "s >= 2 for every s > 0"


def test_vh2_a_proof_under_where_cannot_become_a_lemma():
    with pytest.raises(ValueError, match="unconditionally.*where="):
        Derivation(t - 2, where={t: 2}).eq(0, "t is two").as_lemma(t, "g")


def test_vh3_random_instances_never_become_a_certificate_or_a_lemma():
    s = sp.Symbol("s", positive=True)
    sampled = Derivation(s - sp.Rational(13, 10) - sp.log(s)).ge(
        0, "sampled", instances=lambda rng: {s: sp.Rational(int(rng.integers(25, 100)), 10)})
    assert sampled.strength == "exact-instances"
    with pytest.raises(ValueError, match="proven symbolically.*evidence, not a proof"):
        Derivation(s - sp.log(s)).ge(sp.Rational(13, 10), "c", certificate=sampled)
    with pytest.raises(ValueError, match="proven symbolically"):
        sampled.as_lemma(s, "g2")


def test_vh4_a_where_that_contradicts_the_assumptions_is_refused():
    with pytest.raises(ValueError, match="never positive"):
        Derivation(sp.Integer(0), where={a: -b})                  # a = -b < 0, a declared > 0
    with pytest.raises(ValueError, match="contradict"):
        # a = b - b**2 - 1 is negative for every b, which SymPy's sign rules do not see.
        Derivation(sp.Integer(0), where={a: b - b**2 - 1}).ge(
            b - b**2 - 1, "a >= 0", certificate=a)


def test_vh4_the_certificate_sign_is_checked_after_substitution_on_the_domain():
    # a = 1 - b is consistent (b < 1), and on that domain a > 0: the certificate is valid.
    Derivation(1 - b, where={a: 1 - b}).ge(0, "a > 0", certificate=a)
    # ... but it cannot prove 1 - b >= 1/2 there.
    with pytest.raises(CheckFailed, match="not equal"):
        Derivation(1 - b, where={a: 1 - b}).ge(sp.Rational(1, 2), "a > 0", certificate=a)


def test_vh5_steps_cannot_be_forged_through_the_constructor_or_the_list():
    with pytest.raises(TypeError):
        Derivation(sp.Integer(1), steps=[])                       # no such argument
    d = Derivation(a).eq(a, "same")
    with pytest.raises(AttributeError):
        d.steps.append(d.steps[0])                                # a tuple, not the list
    with pytest.raises(Exception):
        d.steps[0].expr = sp.Integer(2)                           # steps are frozen
    with pytest.raises(AttributeError):
        d.label = "eq-x"
        d.steps.append(None)


def test_vh6_a_true_identity_that_sympy_cannot_prove_is_not_refuted():
    x_pos = sp.Symbol("x", positive=True)
    with pytest.raises(CheckFailed, match="not refuted.*may be true"):
        assert_fails("atan(x) + atan(1/x) = pi/2", assert_identity,
                     sp.atan(x_pos) + sp.atan(1 / x_pos), sp.pi / 2)
    assert verify.checked_labels() == {}


def test_vh6_a_false_identity_is_refuted_with_a_counterexample():
    refutation = assert_fails("log(a + b) = log a + log b", assert_identity,
                              sp.log(a + b), sp.log(a) + sp.log(b))
    assert "at a = " in refutation.message and "differ by" in refutation.message


def test_vh6_a_hand_raised_failure_is_not_a_refutation():
    def pretend():
        raise CheckFailed("I say so")
    with pytest.raises(CheckFailed, match="not refuted"):
        assert_fails("anything", pretend)


def test_vh7_a_definition_labelled_as_verified_is_refused(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text("$$\nf(x) := x^2\n$$ (eq-def)\n\n$$\n1 + 1 = 2\n$$ (eq-sum)\n")
    assert_identity(sp.Integer(1) + 1, 2, label="eq-sum")
    assert_close(4.0, 4.0, label="eq-def")
    with pytest.raises(CheckFailed, match="definitions, which are not results.*eq-def"):
        report(chapter)


def test_vh7_the_report_shows_what_each_label_was_checked_against(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text("$$\n1 + 1 = 3\n$$ (eq-false)\n")
    assert_inequality(1.0, 0.0, label="eq-false", what="one is at least zero")
    text = report(chapter)._repr_markdown_()
    assert "one is at least zero" in text and "✔ numeric" in text   # not a proof of 1 + 1 = 3


def test_vh8_a_display_that_reads_as_another_formula_is_refused():
    with pytest.raises(CheckFailed, match="displayed as something else.*x\\^3"):
        Derivation(x**2).eq(x * x, "?", tex="x^3")
    with pytest.raises(CheckFailed, match="displayed as something else"):
        Derivation(x**2, tex="x^{4}").eq(x * x, "?")


def test_vh8_an_unreadable_display_is_shown_with_the_checked_form_and_is_a_stand_in():
    d = Derivation(x**2).eq(x * x, "same", tex=r"\E[\text{anything}]")
    assert d.strength == "stand-in"
    assert "checked as $x^{2}$" in d._repr_markdown_()
    assert Derivation(x**2).eq(x * x, "same", tex="x \\cdot x").strength == "proof"


@pytest.mark.parametrize("call", [
    lambda: assert_mc_close(np.arange(100.0), 0.0, z=1e9),
    lambda: assert_mc_close(np.arange(100.0), 0.0, z=np.inf),
    lambda: assert_mc_close(np.arange(100.0), 0.0, z=np.nan),
    lambda: assert_close(1.0, 2.0, rtol=0.9),
    lambda: assert_close(1.0, 2.0, atol=0.5),
    lambda: assert_close(1.0, 2.0, rtol=np.nan),
    lambda: assert_close(1.0, 2.0, atol=np.inf),
    lambda: assert_inequality(1.0, 2.0, atol=np.nan),
    lambda: assert_inequality(1.0, 2.0, atol=np.inf),
    lambda: assert_inequality(1.0, 2.0, atol=5.0, reason="because"),
])
def test_vh9_tolerances_are_bounded_and_finite(call):
    with pytest.raises(ValueError, match="z must be|rtol|atol"):
        call()


def test_vh9_a_loose_tolerance_needs_a_reason_and_shows_it():
    with pytest.raises(ValueError, match="pass reason="):
        assert_close(1.0, 1.005, rtol=0.01)
    shown = assert_close(1.0, 1.005, rtol=0.01, reason="a fourth-order Landau expansion")
    assert "Landau" in shown._repr_markdown_()


# ---- holes beyond the review ----------------------------------------------------

def test_a_simplifier_bug_cannot_prove_a_false_identity(monkeypatch):
    # Make SymPy's first rewrite claim every difference is 0: the exact points refute it.
    from helpers.verify import symbolic
    monkeypatch.setattr(symbolic, "_rewrites", lambda: [("broken", lambda e: sp.Integer(0), True)])
    with pytest.raises(CheckFailed, match="is false: at .*'broken' rewrite .* is wrong") as f:
        Derivation(sp.log(a + b)).eq(sp.log(a) + sp.log(b), "broken simplifier")
    assert f.value.refuted
    with pytest.raises(CheckFailed, match="broken"):
        assert_identity(a**2, a**3)


def test_branch_cuts_are_respected():
    z = sp.Symbol("z")                                   # complex
    with pytest.raises(CheckFailed, match="false: at z ="):
        Derivation(sp.log(sp.exp(z))).eq(z, "log undoes exp only on a strip")
    with pytest.raises(CheckFailed, match="false: at x ="):
        Derivation(sp.sqrt(x**2)).eq(x, "only for x >= 0")
    Derivation(sp.sqrt(a**2)).eq(a, "a > 0")
    with pytest.raises(CheckFailed):
        Derivation(sp.sqrt(x * y)).eq(sp.sqrt(x) * sp.sqrt(y), "fails for x, y < 0")


def test_infinite_values_are_never_certificates():
    with pytest.raises(CheckFailed):
        Derivation(sp.Integer(1)).ge(2, "oo is >= 0", certificate=sp.oo)
    r_ = sp.Symbol("r_", positive=True)
    improper = sp.Integral(sp.exp(-r_) - 3 * sp.exp(-2 * r_), (r_, 0, sp.oo))
    assert not is_nonnegative(improper)
    with pytest.raises(ValueError, match="not a number"):
        Derivation(sp.nan)
    with pytest.raises(ValueError, match="not a number"):
        Derivation(a).eq(sp.zoo, "1/0")
    with pytest.raises(ValueError, match="non-finite"):
        Derivation(a, where={b: sp.oo})


def test_a_lemma_applied_outside_its_domain_is_not_a_certificate():
    s = sp.Symbol("s", positive=True)
    h = tangent_lemma()
    assert not is_nonnegative(h(x))                                  # x real: outside
    with pytest.raises(CheckFailed, match="not shown to be >= 0"):
        Derivation(x - 1).ge(sp.log(x), "tangent bound at a real x", certificate=h(x))
    with pytest.raises(ValueError, match="never positive"):
        # s = -a puts the lemma outside its domain through a substitution.
        Derivation(s - 1, where={s: -a}).ge(sp.log(s), "tangent", certificate=h(s))


def test_two_symbols_with_one_name_are_refused():
    x_pos = sp.Symbol("x", positive=True)
    with pytest.raises(ValueError, match="share the name"):
        Derivation(sp.sqrt(x_pos**2)).eq(x, "the display cannot tell the two x apart")


def test_instances_must_respect_the_symbols_assumptions():
    with pytest.raises(ValueError, match="breaks its declared assumptions"):
        Derivation(a).ge(0, "a > 0", instances=lambda rng: {a: sp.Integer(-1)})


def test_nan_and_inf_in_numbers_are_refused():
    with pytest.raises(ValueError, match="finite"):
        assert_close(np.nan, np.nan)
    with pytest.raises(ValueError, match="finite"):
        assert_mc_close(np.r_[np.arange(50.0), np.inf], 1.0)
    with pytest.raises(ValueError, match="finite"):
        assert_inequality([1.0, np.nan], 0.0)
    with pytest.raises(ValueError, match="empty"):
        assert_inequality([], [])


def test_a_closed_chain_cannot_be_extended():
    d = Derivation(a).eq(a, "same").qed("eq-a")
    with pytest.raises(ValueError, match="closed"):
        d.ge(a - 1, "one less", certificate=sp.Integer(1))


def tangent_lemma():
    remainder = sp.Integral((1 - r) / (1 + (t - 1) * r) ** 2, (r, 0, 1))
    return (Derivation(t - 1 - sp.log(t))
            .eq((t - 1) ** 2 * remainder, "Taylor")
            .ge(0, "square times positive integral", certificate=(t - 1) ** 2 * remainder)
            .as_lemma(t, "h"))


# ---- strengths -------------------------------------------------------------------

def test_every_check_records_its_strength():
    from helpers.verify import STRENGTHS
    (Derivation(sp.log(a * b)).eq(sp.log(a) + sp.log(b), "product").qed("eq-p"))
    (Derivation(sp.log(a * b), checked_on="two factors").eq(sp.log(a) + sp.log(b), "product")
     .qed("eq-s"))
    (Derivation(sp.log((a + b) / 2)).ge((sp.log(a) + sp.log(b)) / 2, "concave",
                                         instances=uniform_instances(a, b), n=20).qed("eq-i"))
    assert_inequality(np.ones(3), np.zeros(3), label="eq-f", sampled=True)
    assert_mc_close(np.random.default_rng(0).normal(size=100), 0.0, label="eq-m")
    assert_close(1.0, 1.0, label="eq-n")
    strengths = {label: [c.strength for c in checks]
                 for label, checks in verify.checked_labels().items()}
    assert strengths == {"eq-p": ["proof"], "eq-s": ["stand-in"], "eq-i": ["exact-instances"],
                         "eq-f": ["sampled"], "eq-m": ["monte-carlo"], "eq-n": ["numeric"]}
    assert all(c.strength in STRENGTHS for cs in verify.checked_labels().values() for c in cs)


def test_a_chain_is_as_strong_as_its_weakest_step():
    d = (Derivation(sp.log((a + b) / 2) + 1)
         .eq(1 + sp.log((a + b) / 2), "commute")
         .ge(1 + (sp.log(a) + sp.log(b)) / 2, "concave", instances=uniform_instances(a, b), n=10))
    assert [s.strength for s in d.steps] == ["proof", "exact-instances"]
    assert d.strength == "exact-instances"


def test_a_result_is_as_strong_as_its_best_check(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text("$$\n\\log(ab) = \\log a + \\log b\n$$ (eq-log)\n")
    assert_close(np.log(6.0), np.log(2.0) + np.log(3.0), rtol=1e-15, label="eq-log")
    assert_identity(sp.log(a * b), sp.log(a) + sp.log(b), label="eq-log")
    result = report(chapter)
    assert result.results[0].strength == "proof" and result.counts()["proof"] == 1
    ledger = result.ledger()["results"][0]
    assert ledger["strength"] == "proof" and len(ledger["checks"]) == 2


def test_the_page_shows_the_strength_beside_each_check():
    shown = assert_identity(sp.log(a * b), sp.log(a) + sp.log(b))._repr_markdown_()
    assert "[✔ proof](intro.md#how-strongly-each-result-is-checked" in shown
    shown = assert_mc_close(np.random.default_rng(0).normal(size=100), 0.0)._repr_markdown_()
    assert "✔ Monte Carlo" in shown and "n = 100" in shown


def test_the_report_carries_a_machine_readable_ledger(tmp_path):
    import json
    import re as re_
    chapter = tmp_path / "chapter.md"
    chapter.write_text("$$\na--b = a - b\n$$ (eq-x)\n")
    assert_identity(a - b, a - b, label="eq-x", claim="a -- b, with a double dash")
    text = report(chapter)._repr_markdown_()
    comment = re_.search(r"<!-- elbo-ledger (.*) -->", text).group(1)
    assert "--" not in comment
    assert json.loads(comment)["results"][0]["checks"][0]["what"].startswith("a -- b")


def test_every_equality_is_also_checked_at_exact_points():
    d = Derivation((a + b) ** 2).eq(a**2 + 2 * a * b + b**2, "expand")
    assert "exact at 3 random points" in d.steps[0].how


def test_points_respect_constraints_and_assumptions():
    from helpers.verify.points import random_points
    w, sums_to_one = probability_symbols("w", 4)
    for point in random_points(set(w), sums_to_one, 10, seed=3):
        assert all(point[s] > 0 for s in w) and sum(point[s] for s in w) == 1
    n_ = sp.Symbol("n", integer=True, positive=True)
    assert all(p[n_].is_integer and p[n_] > 0 for p in random_points({n_}, None, 5, seed=0))


def test_the_introduction_states_the_legend_the_marks_link_to():
    from pathlib import Path
    intro = (Path(__file__).parents[1] / "book" / "intro.md").read_text(encoding="utf-8")
    assert "### How strongly each result is checked" in intro and verify.legend() in intro


def test_a_where_that_fixes_a_symbol_to_a_number_makes_a_stand_in():
    assert_identity(x**2, 4, where={x: 2}, label="eq-at-two")
    assert [c.strength for c in verify.checked_labels()["eq-at-two"]] == ["stand-in"]
    d = Derivation(a + b, where={b: 1}).eq(a + 1, "b is one")
    assert d.strength == "stand-in" and "where" in d._repr_markdown_()
    shown = assert_identity(x**2, 4, where={x: 2})._repr_markdown_()
    assert "where $x = 2$" in shown


def test_a_lemma_needs_every_assumption_of_its_variable():
    n_ = sp.Symbol("n", integer=True, positive=True)
    g = Derivation(n_ - 1).ge(0, "n >= 1 for a positive integer", instances=lambda rng: {
        n_: sp.Integer(int(rng.integers(1, 9)))})
    with pytest.raises(ValueError, match="proven symbolically"):
        g.as_lemma(n_, "g")
    h = tangent_lemma()
    assert is_nonnegative(h(a / b)) and not is_nonnegative(h(a - b))


def test_indexed_families_are_evaluated_as_whole_random_sequences():
    k, K = sp.symbols("k K", integer=True, positive=True)
    f = sp.IndexedBase("f", positive=True)
    total = sp.Sum(f[k], (k, 1, K))
    # True, and mixes a sum with a single entry: each entry must keep one value.
    from helpers.verify.points import agree_at_points
    agreed, counter = agree_at_points(total, sp.Sum(f[k], (k, 1, K - 1)) + f[K], n=5)
    assert (agreed, counter) == (5, None)
    Derivation(sp.Sum(f[k] + 1, (k, 1, K))).eq(total + K, "one per term")
    # False, yet true whenever all entries are equal (or K = 1).
    with pytest.raises(CheckFailed, match="is false"):
        assert_identity(sp.Sum(f[k] ** 2, (k, 1, K)), total**2 / K)


def test_undefined_functions_are_evaluated_as_random_functions():
    f = sp.Function("f", positive=True)
    Derivation(sp.log(f(a) * f(b))).eq(sp.log(f(a)) + sp.log(f(b)), "f is positive")
    with pytest.raises(CheckFailed, match="is false"):
        assert_identity(f(a + b), f(a) + f(b))          # f need not be additive


def test_a_display_that_names_the_expression_is_unread_not_refuted():
    d = Derivation(a * sp.log(a / b) - a + b, tex="g(a, b)").eq(
        a * (sp.log(a) - sp.log(b)) - a + b, "log of a ratio")
    assert d.strength == "stand-in"


def test_sums_over_several_ranges_are_evaluated():
    i, j, n = sp.symbols("i j n", integer=True, positive=True)
    x = sp.IndexedBase("x", real=True)
    double = sp.Sum(x[i, j], (i, 1, n), (j, 1, n))
    from helpers.verify.points import agree_at_points
    assert agree_at_points(double, sp.Sum(sp.Sum(x[i, j], (i, 1, n)), (j, 1, n)), n=3) == (3, None)
    triangle = sp.Sum(x[i, j], (i, 1, j), (j, 1, n))        # an inner limit depends on j
    assert agree_at_points(triangle, triangle + 0, n=3) == (3, None)
    assert agree_at_points(triangle, double, n=3)[1] is not None


def test_a_narrow_peak_far_from_zero_is_not_missed_by_the_quadrature():
    z = sp.Symbol("z", real=True)
    peak = sp.exp(-(z - 9) ** 2 / (2 * sp.Rational(1, 100))) / sp.sqrt(2 * sp.pi / 100)
    from helpers.verify.points import agree_at_points
    # The integral is 1; a quadrature that missed the peak would call it 0.
    assert agree_at_points(sp.Integral(peak, (z, -sp.oo, sp.oo)), 1, n=1) == (1, None)
    assert agree_at_points(sp.Integral(peak, (z, -sp.oo, sp.oo)), 0, n=1)[1] is not None


def test_derivatives_of_an_undefined_function_are_evaluated():
    f = sp.Function("f", real=True)
    from helpers.verify.points import agree_at_points
    assert agree_at_points(sp.Derivative(f(a * b), a), b * f(a * b).diff(a) / b, n=2) == (2, None)
    assert agree_at_points(sp.Derivative(f(a**2), a), f(a**2).diff(a) * 2, n=2)[1] is not None


def test_remembered_checks_are_reused_only_for_the_same_obligation(tmp_path, monkeypatch):
    from helpers.verify import proof_cache
    cache = tmp_path / "cache.jsonl"
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(cache))
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    first = Derivation(sp.log(a * b)).eq(sp.log(a) + sp.log(b), "product").steps[0].how
    again = Derivation(sp.log(a * b)).eq(sp.log(a) + sp.log(b), "product").steps[0].how
    assert "remembered" not in first and again == first + " (remembered)"
    other = Derivation(sp.log(a * b)).eq(sp.log(a**2) / 2 + sp.log(b), "another")
    assert "remembered" not in other.steps[0].how
    positive_a = sp.Symbol("a", negative=True)         # other assumptions: another obligation
    assert "remembered" not in Derivation(positive_a**2).eq(positive_a * positive_a,
                                                            "square").steps[0].how
    def checks():
        import json
        entries = [json.loads(line)["value"] for line in cache.read_text().splitlines()]
        return [e for e in entries if isinstance(e, str) and e.startswith("SymPy")]
    assert len(checks()) == 3
    with pytest.raises(CheckFailed):                        # a false step is never remembered
        Derivation(sp.log(a + b)).eq(sp.log(a) + sp.log(b), "wrong")
    assert len(checks()) == 3


def test_a_remembered_check_depends_on_what_a_lemma_stands_for(tmp_path, monkeypatch):
    from helpers.verify import proof_cache
    from helpers.verify.symbolic import Lemma
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(tmp_path / "cache.jsonl"))
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    t = sp.Symbol("t", positive=True)
    square = type("g", (Lemma,), {"nargs": 1, "body": t**2, "variable": t})
    cube = type("g", (Lemma,), {"nargs": 1, "body": t**3, "variable": t})
    assert proof_cache.key("equal", square(a), a**2) != proof_cache.key("equal", cube(a), a**2)
    assert "remembered" not in Derivation(square(a)).eq(a**2, "its body").steps[0].how
    with pytest.raises(CheckFailed, match="is false"):     # the same name, another body
        Derivation(cube(a)).eq(a**2, "its body")


def test_a_display_that_agrees_only_at_the_drawn_points_is_not_read_as_proof():
    # exp(-1e10 x^2) is below 1e-35 at every drawn point but is 1 at x = 0.
    d = Derivation(x + x).eq(2 * x, "collect", tex=r"2 x + \exp(-10000000000 x^{2})")
    assert d.strength == "stand-in" and "checked as $2 x$" in d._repr_markdown_()
    tiny = Derivation(x + x).eq(2 * x, "collect", tex=r"2 x + \frac{1}{10^{40}}")
    assert tiny.strength == "stand-in"


def test_a_constant_written_with_a_symbol_is_a_special_value():
    z_ = sp.Symbol("z")
    trig = {z_: sp.sin(y) ** 2 + sp.cos(y) ** 2}          # z = 1
    assert assert_identity(z_**2, z_, where=trig).strength == "stand-in"
    d = Derivation(z_**2, where=trig).eq(z_, "z^2 = z").qed("eq-a2")
    assert d.strength == "stand-in" and "where" in d.check().what


def test_a_wrong_display_is_not_a_refutation_of_the_mathematics():
    with pytest.raises(CheckFailed, match="not refuted"):
        assert_fails("x + x = 2x", lambda: Derivation(x + x).eq(2 * x, "r", tex="3x"))


def test_a_remembered_integral_is_the_same_expression_and_failures_are_not_stored(
        tmp_path, monkeypatch):
    from helpers.verify import proof_cache
    cache = tmp_path / "cache.jsonl"
    monkeypatch.setenv("ELBO_PROOF_CACHE", str(cache))
    monkeypatch.setattr(proof_cache, "_MEMORY", None)
    gauss = sp.exp(-(x - y) ** 2 / (2 * a))
    first = proof_cache.integrate(gauss, (x, -sp.oo, sp.oo))
    monkeypatch.setattr(proof_cache, "_MEMORY", None)          # a new run reads the file
    again = proof_cache.integrate(gauss, (x, -sp.oo, sp.oo))
    assert first == again == sp.sqrt(2 * sp.pi * a)
    assert proof_cache.integrate(gauss, (x, 0, sp.oo)) != first   # other limits, other key
    f = sp.Function("f")
    lines = len(cache.read_text().splitlines())
    assert proof_cache.integrate(f(x), (x, 0, 1)).has(sp.Integral)
    assert len(cache.read_text().splitlines()) == lines
