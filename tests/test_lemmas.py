"""helpers.lemmas: the tangent bound of log, as a proof and as a certificate.

Independent references: mpmath quadrature of each integral in the proof,
log evaluated directly, SymPy's own sign rules on the lemma.
"""

import mpmath
import pytest
import sympy as sp

from helpers.lemmas import log_tangent_bound, t, tangent_gap
from helpers.verify import is_nonnegative

POINTS = [0.05, 0.5, 1.0, 1.7, 6.0, 40.0]


def test_the_proof_starts_at_the_gap_and_ends_at_zero():
    proof = log_tangent_bound()
    assert sp.simplify(proof.start - (t - 1 - sp.log(t))) == 0
    assert proof.end == 0
    assert proof.relation == ">="
    assert proof.strength == "proof"
    assert [step.relation for step in proof.steps] == ["=", "=", ">="]
    assert proof.label is None


def test_each_step_has_the_value_of_the_gap():
    # the Taylor and substituted integral forms, by quadrature, against t - 1 - log t
    proof = log_tangent_bound()
    for step in proof.steps[:2]:
        f = sp.lambdify(t, step.expr, modules="mpmath")
        for value in POINTS:
            exact = value - 1 - mpmath.log(value)
            assert float(f(mpmath.mpf(value))) == pytest.approx(float(exact), rel=1e-10,
                                                                abs=1e-14)


def test_the_substituted_form_is_a_square_times_a_positive_integral():
    expr = log_tangent_bound().steps[1].expr
    assert expr.is_Mul
    assert any(f == (t - 1) ** 2 for f in expr.args)
    integral = next(f for f in expr.args if isinstance(f, sp.Integral))
    for value in POINTS:
        inner = integral.subs(t, value)
        assert float(mpmath.quad(sp.lambdify(sp.Symbol("r"), inner.function, "mpmath"),
                                 [0, 1])) > 0


def test_a_label_closes_the_proof_under_it():
    proof = log_tangent_bound("eq-log-tangent")
    assert proof.label == "eq-log-tangent"


def test_the_lemma_is_the_gap_and_is_known_to_be_nonnegative():
    h = tangent_gap()
    u = sp.Symbol("u", positive=True)
    assert sp.simplify(h(u).doit() - (u - 1 - sp.log(u))) == 0
    for value in POINTS:
        assert float(h(sp.Float(value)).doit()) == pytest.approx(value - 1 - float(
            mpmath.log(value)), rel=1e-12, abs=1e-15)
    assert is_nonnegative(h(u))
    assert is_nonnegative(3 * h(u) + h(2 * u))
    assert not is_nonnegative(h(u) - 1)
    assert not is_nonnegative(h(sp.Symbol("v", real=True)))     # outside its domain


def test_the_reader_sees_the_reasons_and_the_name_h():
    proof = log_tangent_bound()
    assert [step.reason for step in proof.steps] == [
        "Taylor at $t = 1$", "substitute $s = 1 + (t - 1) r$",
        "square times positive integral"]
    assert tangent_gap().__name__ == "h"
    assert [v.name for v in proof.steps[0].expr.variables] == ["s"]     # the display's s


def test_an_unlabelled_proof_is_left_open_for_the_caller_to_close():
    proof = log_tangent_bound()
    assert proof.qed("eq-some-label").label == "eq-some-label"
