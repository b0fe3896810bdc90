"""The core of the checker (numeric, points, refute, identity, strength, registry) against
independent references: hand-computed standard errors and tolerances, boundaries where a
claim holds with equality, exact SymPy values.  Each false statement must raise CheckFailed
(or ValueError for a bad argument) with a message that says why; each true one must pass."""

import numpy as np
import pytest
import sympy as sp

from helpers import verify
from helpers.verify import (CheckFailed, assert_close, assert_fails, assert_identity,
                            assert_inequality, assert_mc_close)
from verify_fixtures import empty_registry  # noqa: F401  (autouse)

a, b = sp.symbols("a b", positive=True)
x, y = sp.symbols("x y", real=True)


# ---- assert_mc_close -------------------------------------------------------------

# 30 draws of +2, 30 of -2 and 3, -1, -1, -1: n = 64, mean 0, sum of squared deviations
# 30*4 + 30*4 + 9 + 1 + 1 + 1 = 252, so std(ddof=1) = sqrt(252 / 63) = 2 and the standard error
# is 2 / sqrt(64) = 1/4 exactly (with ddof=0 it would be sqrt(252/64)/8 = 0.248...).
EXACT_SE_SAMPLES = np.array([2.0] * 30 + [-2.0] * 30 + [3.0, -1.0, -1.0, -1.0])


def test_mc_close_standard_error_is_std_ddof1_over_sqrt_n_and_z_is_inclusive():
    assert EXACT_SE_SAMPLES.mean() == 0.0
    # exact = +-z * SE = +-1: exactly 4 standard errors away, allowed (the bound is <=).
    shown = assert_mc_close(EXACT_SE_SAMPLES, 1.0, z=4)
    assert shown.detail == "4.00 SE away; SE 0.25, n = 64, allowed 4 SE"
    assert_mc_close(EXACT_SE_SAMPLES, -1.0, z=4)
    assert_mc_close(EXACT_SE_SAMPLES, 0.5, z=2)
    assert_mc_close(4 * EXACT_SE_SAMPLES, 3.0, z=4)            # SE exactly 1: 3 SE away
    with pytest.raises(CheckFailed, match=r"is 4\.50 standard errors \(SE 1, n=64\)"):
        assert_mc_close(4 * EXACT_SE_SAMPLES, -4.5, z=4)
    for exact, z in [(1.0 + 2**-40, 4), (-1.0 - 2**-40, 4), (0.5 + 2**-40, 2)]:
        with pytest.raises(CheckFailed, match=r"is 4\.00 standard errors|is 2\.00 standard errors") as f:
            assert_mc_close(EXACT_SE_SAMPLES, exact, z=z)
        assert f.value.refuted
        assert "(SE 0.25, n=64)" in str(f.value) and f"allowed: {z}" in str(f.value)


def test_mc_close_standard_error_with_a_hand_computed_sqrt():
    # 15 zeros and 15 twos: mean 1, std(ddof=1) = sqrt(30/29), SE = 1/sqrt(29) = 0.18570...
    samples = np.array([0.0, 2.0] * 15)
    se = 1 / np.sqrt(29)
    assert_mc_close(samples, 1 + 3.999 * se, z=4)
    assert_mc_close(samples, 1 - 3.999 * se, z=4)
    with pytest.raises(CheckFailed, match=r"Monte Carlo mean 1 is 4\.00 standard errors "
                                          r"\(SE 0\.186, n=30\) from the exact value 1\.74297; allowed: 4$"):
        assert_mc_close(samples, 1 + 4.001 * se, z=4)
    with pytest.raises(CheckFailed, match="standard errors"):
        assert_mc_close(samples, 1 - 4.001 * se, z=4)


def test_mc_close_accepts_thirty_draws_and_z_up_to_six():
    samples = np.array([0.0, 2.0] * 15)                       # exactly MIN_DRAWS = 30
    assert assert_mc_close(samples, 1.0, z=6).strength == "monte-carlo"
    assert_mc_close(samples, 1.0, z=np.float32(0.5))           # numpy scalars, not float subclasses
    assert_mc_close(samples, 1.0, z=np.int64(3))
    with pytest.raises(ValueError, match=r"z must be in \(0, 6\] standard errors, got 6\.01"):
        assert_mc_close(samples, 1.0, z=6.01)
    with pytest.raises(ValueError, match=r"z must be in \(0, 6\] standard errors, got -1"):
        assert_mc_close(samples, 1.0, z=-1)
    with pytest.raises(ValueError, match=r"z must be in \(0, 6\] standard errors, got 0"):
        assert_mc_close(samples, 1.0, z=0)                   # even with the mean exactly right
    with pytest.raises(ValueError, match="samples must hold at least 30 draws, got 29"):
        assert_mc_close(samples[:29], 1.0)


@pytest.mark.parametrize("z", [True, "4", None])
def test_mc_close_z_must_be_a_number(z):
    with pytest.raises(TypeError, match="z must be a number of standard errors"):
        assert_mc_close(np.array([0.0, 2.0] * 15), 1.0, z=z)


def test_mc_close_exact_must_be_one_finite_number():
    samples = np.array([0.0, 2.0] * 15)
    assert_mc_close(samples, [1.0])
    assert_mc_close(samples, np.array([[1.0]]))
    with pytest.raises(ValueError, match=r"exact must be one number, got shape \(2,\)"):
        assert_mc_close(samples, [1.0, 1.0])
    with pytest.raises(ValueError, match="exact must not be empty"):
        assert_mc_close(samples, [])
    with pytest.raises(ValueError, match="samples must not be empty"):
        assert_mc_close([], 1.0)
    # 2-d samples are raveled: the 64 draws above, as 8 x 8.
    assert_mc_close(EXACT_SE_SAMPLES.reshape(8, 8), 1.0, z=4)


def test_mc_close_constant_samples_compare_with_relative_tolerance_1e_12_and_no_atol():
    assert_mc_close(np.full(40, 1.0), 1.0 + 1e-13)             # relative 1e-13 <= 1e-12
    shown = assert_mc_close(np.full(40, 3.0), 3.0)
    assert shown.detail.startswith("0.00 SE away; SE 0, n = 40")
    with pytest.raises(CheckFailed, match="standard errors") as f:
        assert_mc_close(np.full(40, 1.0), 1.0 + 1e-8)         # within numpy's default rtol 1e-5
    assert f.value.refuted and "SE 0," in str(f.value)
    with pytest.raises(CheckFailed):
        assert_mc_close(np.full(40, 0.0), 1e-9)               # within numpy's default atol 1e-8


def test_mc_close_records_its_check_with_label_and_claim():
    samples = np.array([0.0, 2.0] * 15)
    shown = assert_mc_close(samples, 1.0, label="eq-mc", what="the mean of the draws")
    assert shown.claim == "the mean of the draws" and shown.label == "eq-mc"
    [check] = verify.checked_labels()["eq-mc"]
    assert (check.kind, check.strength, check.what) == ("monte-carlo", "monte-carlo",
                                                         "the mean of the draws")
    assert check.detail == shown.detail == "0.00 SE away; SE 0.19, n = 30, allowed 4 SE"
    default = assert_mc_close(samples, 1.0)
    assert default.claim == "Monte Carlo mean 1 against the exact 1"
    assert repr(default) == ("checked (monte-carlo): Monte Carlo mean 1 against the exact 1 "
                             "(0.00 SE away; SE 0.19, n = 30, allowed 4 SE)")
    assert "Monte Carlo mean 1 against the exact 1 (0.00 SE away" in default._repr_markdown_()
    assert "✔ Monte Carlo" in default._repr_markdown_()
    assert "{eq}`eq-mc`" in shown._repr_markdown_() and "{eq}" not in default._repr_markdown_()
    with pytest.raises(ValueError, match="label must be a string starting with 'eq-'"):
        assert_mc_close(samples, 5.0, label="mc")          # a bad label, even on a failing check


# ---- assert_close ------------------------------------------------------------------

def test_close_bound_is_atol_plus_rtol_abs_exact_inclusive():
    # |value - exact| = 2**-10 exactly, allowed atol + rtol |exact| = 2**-10: holds with equality.
    assert_close(1.0 + 2**-10, 1.0, atol=2**-10)
    assert_close(-1.0 - 2**-10, -1.0, rtol=2**-10)            # rtol times |exact|, exact < 0
    assert_close(-4.0 - 2**-11, -4.0, rtol=2**-13)            # 2**-13 * 4 = 2**-11
    assert_close(3.0 + 2**-11, 3.0, rtol=2**-12, atol=2**-13)  # 2**-12 * 3 + 2**-13 = 7 * 2**-13 > 2**-11
    assert_close(2.0 + 2**-11 + 2**-12, 2.0, rtol=2**-12, atol=2**-12)  # = 2**-11 + 2**-12
    assert_close(5.0, 5.0, rtol=0.0)
    with pytest.raises(CheckFailed, match="differs from exact") as f:
        assert_close(1.0 + 2**-10 + 2**-30, 1.0, atol=2**-10)
    assert f.value.refuted
    with pytest.raises(CheckFailed, match="differs"):
        assert_close(-1.0 - 2**-10 - 2**-30, -1.0, rtol=2**-10)
    with pytest.raises(CheckFailed, match="differs"):
        assert_close(2.0 + 2**-11 + 2**-12 + 2**-30, 2.0, rtol=2**-12, atol=2**-12)
    with pytest.raises(CheckFailed, match="differs"):
        assert_close(1.0 - 2**-10 - 2**-30, 1.0, atol=2**-10)  # below exact: |.| matters


def test_close_failure_names_the_worst_entry():
    with pytest.raises(CheckFailed, match=r"^value 2\.0 differs from exact 2\.5 by 0\.5 > "
                                          r"allowed 2\.5e-12$"):
        assert_close([1.0, 2.0, 3.0], [1.0, 2.5, 3.1])
    with pytest.raises(CheckFailed, match=r"^value 4\.0 differs from exact 1\.0 by 3 > allowed 1e-12$"):
        assert_close(4.0, 1.0)
    with pytest.raises(CheckFailed, match=r"^value 1\.0 differs from exact 3\.0 by 2 > allowed 3e-12$"):
        assert_close(1.0, [1.0, 3.0])                         # a scalar broadcast against a vector
    # The worst entry is the one furthest beyond its allowance, not the largest error:
    # allowed 1e-3 * [10.005, 1.002]; errors [0.005, 0.002]; only the second is beyond.
    with pytest.raises(CheckFailed, match=r"^value 1\.0 differs from exact 1\.002 by 0\.002 > "
                                          r"allowed 0\.001$"):
        assert_close([10.0, 1.0], [10.005, 1.002], rtol=1e-3)
    with pytest.raises(CheckFailed, match=r"^value 7\.0 differs from exact 0\.0 by 7 > allowed 0$"):
        assert_close([[0.0, 1.0], [7.0, 2.0]], [[0.0, 1.0], [0.0, 2.0]])


def test_close_detail_reports_the_errors_the_tolerances_and_the_reason():
    shown = assert_close([1.0, 2.0], [1.0, 2.01], rtol=0.01, reason="a first-order expansion")
    # largest error 0.01, relative 0.01 / 2.01 = 0.004975...
    assert shown.detail == ("largest error 0.01, relative 0.005; rtol 0.01, atol 0; "
                            "a first-order expansion")
    assert shown.claim == "2 value(s) against the exact answer" and shown.strength == "numeric"
    plain = assert_close(3.0, 3.0 + 3e-13, what="three")
    assert plain.detail == "largest error 3e-13, relative 1e-13; rtol 1e-12, atol 0"
    assert plain.claim == "three"
    # exact 0: the relative error is measured against the smallest normal float, 2.2e-308.
    zero = assert_close(1e-13, 0.0, atol=1e-12)
    assert zero.detail == "largest error 1e-13, relative 4.5e+294; rtol 1e-12, atol 1e-12"
    assert repr(zero).startswith("checked (numeric): 1 value(s) against the exact answer (largest")


def test_close_records_kind_strength_and_label():
    assert_close(2.0, 2.0, label="eq-two", what="two")
    [check] = verify.checked_labels()["eq-two"]
    assert (check.kind, check.strength, check.what, check.label) == ("close", "numeric", "two",
                                                                     "eq-two")
    assert check.detail == "largest error 0, relative 0; rtol 1e-12, atol 0"
    shown = assert_close(3.0, 3.0, label="eq-three")
    assert (shown.label, shown.strength) == ("eq-three", "numeric")
    with pytest.raises(ValueError, match="label must be a string starting with 'eq-'"):
        assert_close(1.0, 2.0, label="two")


def test_close_tolerance_limits():
    assert_close(1.0 + 1e-3, 1.0, atol=1e-3)                  # exactly MAX_TOLERANCE, no reason
    assert_close(1.0, 1.0, rtol=np.float32(1e-4), atol=np.int64(0))   # numpy scalars
    with pytest.raises(ValueError, match=r"rtol=0\.00101 is looser than 0\.001: pass reason="):
        assert_close(1.0, 1.0, rtol=1.01e-3)
    assert_close(1.0, 1.5, atol=0.5, reason="a crude bound")
    with pytest.raises(ValueError, match=r"atol must be below 1 \(a tolerance of 100 % checks "
                                         r"nothing\), got 1\.0"):
        assert_close(1.0, 1.0, atol=1, reason="anything goes")
    with pytest.raises(ValueError, match=r"rtol must be a finite number >= 0, got -1e-06"):
        assert_close(1.0, 1.0, rtol=-1e-6)
    with pytest.raises(ValueError, match="atol must be a finite number >= 0, got inf"):
        assert_close(1.0, 1.0, atol=np.inf, reason="r")
    for bad in (True, "0.1", None):
        with pytest.raises(TypeError, match="rtol must be a number"):
            assert_close(1.0, 1.0, rtol=bad)


@pytest.mark.parametrize("reason", ["", "   ", 3, ["a reason"]])
def test_a_reason_must_be_words(reason):
    with pytest.raises(ValueError, match="reason must say in words why the tolerance is right"):
        assert_close(1.0, 1.0, reason=reason)
    with pytest.raises(ValueError, match="reason must say in words"):
        assert_inequality(1.0, 0.0, reason=reason)


def test_close_refuses_empty_input():
    with pytest.raises(ValueError, match="value must not be empty"):
        assert_close([], 1.0)
    with pytest.raises(ValueError, match="exact must not be empty"):
        assert_close(1.0, [])
    assert_close([5.0], 5.0)                                  # one value is not empty


# ---- assert_inequality ------------------------------------------------------------

def test_inequality_atol_bound_is_inclusive():
    # margin = -2**-10 exactly, atol 2**-10: larger >= smaller - atol holds with equality.
    shown = assert_inequality(1.0, 1.0 + 2**-10, atol=2**-10)
    assert shown.detail == "smallest margin -0.000977, atol 0.000976562"
    assert_inequality([3.0, 2.0], [3.0, 2.0])                # equality everywhere, atol 0
    with pytest.raises(CheckFailed, match=r"^inequality fails at 1 of 1 points; worst margin "
                                          r"-0\.000977 \(atol 0\.000976562\)$") as f:
        assert_inequality(1.0, 1.0 + 2**-10 + 2**-30, atol=2**-10)
    assert f.value.refuted
    with pytest.raises(CheckFailed, match=r"fails at 1 of 1 points; worst margin -2\.22e-16 \(atol 0\)"):
        assert_inequality(1.0, 1.0 + 2**-52)


def test_inequality_failure_counts_the_violations_and_the_worst_margin():
    with pytest.raises(CheckFailed, match=r"^inequality fails at 2 of 4 points; worst margin -3 "):
        assert_inequality([1.0, 5.0, 0.0, 2.0], [2.0, 1.0, 3.0, 2.0])
    with pytest.raises(CheckFailed, match="fails at 3 of 3 points"):
        assert_inequality(0.0, [1.0, 2.0, 3.0])              # broadcast


def test_inequality_strength_claim_and_record():
    shown = assert_inequality([2.0, 3.0, 4.0], 1.0, label="eq-ineq", sampled=True)
    assert (shown.strength, shown.claim) == ("sampled", "larger >= smaller at all 3 seeded random points")
    assert shown.detail == "smallest margin 1, atol 0"
    [check] = verify.checked_labels()["eq-ineq"]
    assert (check.kind, check.strength, check.label) == ("inequality", "sampled", "eq-ineq")
    assert (check.what, check.detail) == (shown.claim, "smallest margin 1, atol 0")
    assert "{eq}`eq-ineq`" in shown._repr_markdown_() and "✔ sampled" in shown._repr_markdown_()
    plain = assert_inequality([2.0, 3.0], [1.0, 1.0], reason="no tolerance needed", what="two is more")
    assert (plain.strength, plain.claim) == ("numeric", "two is more")
    assert plain.detail == "smallest margin 1, atol 0; no tolerance needed"
    assert assert_inequality(1.0, 0.0).claim == "larger >= smaller at all 1 points"
    with pytest.raises(TypeError, match="sampled must be True or False, got 1"):
        assert_inequality(1.0, 0.0, sampled=1)
    with pytest.raises(ValueError, match="larger and smaller must broadcast together"):
        assert_inequality([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="label must be a string starting with 'eq-'"):
        assert_inequality(0.0, 1.0, label="x")
    with pytest.raises(ValueError, match="atol=0.002 is looser than 0.001"):
        assert_inequality(1.0, 0.0, atol=0.002)
    with pytest.raises(ValueError, match="smaller must not be empty"):
        assert_inequality(1.0, [])


# ---- points: the random draws ----------------------------------------------------

from helpers.verify import points as P   # noqa: E402


class FakeRng:
    """A stand-in for numpy's Generator: integers(low, high) -> pick(low, high), random() -> coin."""

    def __init__(self, pick, coin=0.25):
        self.pick, self.coin, self.calls = pick, coin, []

    def integers(self, low, high):
        self.calls.append((low, high))
        return self.pick(low, high)

    def random(self):
        return self.coin


LOWEST, HIGHEST = (lambda low, high: low), (lambda low, high: high - 1)


def test_rational_draws_thousandths_from_the_range_and_never_zero():
    rng = FakeRng(LOWEST)
    assert P._rational(rng, 0.001, 5) == sp.Rational(1, 1000) and rng.calls == [(1, 5000)]
    assert P._rational(FakeRng(HIGHEST), 0.001, 5) == sp.Rational(4999, 1000)
    assert P._rational(FakeRng(LOWEST), -5, 5) == -5
    assert P._rational(FakeRng(lambda low, high: 0), -5, 5) == sp.Rational(1, 1000)  # 0 -> 1/1000


def test_draw_gives_each_kind_of_symbol_a_value_of_its_kind():
    s = sp.Rational(1, 4)                                   # the scale
    q = sp.Rational(1, 1000) * s                            # the smallest magnitude
    big = sp.Rational(4999, 1000) * s
    kinds = {
        sp.Symbol("n", integer=True, positive=True): (1, 6),
        sp.Symbol("n", integer=True, nonnegative=True): (0, 6),
        sp.Symbol("n", integer=True, negative=True): (-1, -6),
        sp.Symbol("n", integer=True): (-6, 6),
        sp.Symbol("u", positive=True): (q, big),
        sp.Symbol("u", nonnegative=True): (q, big),
        sp.Symbol("u", negative=True): (-q, -big),
        sp.Symbol("u", nonpositive=True): (-q, -big),
        sp.Symbol("u", positive=True, irrational=True): (q * sp.sqrt(2), big * sp.sqrt(2)),
        sp.Symbol("u", imaginary=True): (sp.I * q, sp.I * big),
        sp.Symbol("u"): (-5 * s * (1 + sp.I), big * (1 + sp.I)),
    }
    for symbol, (low, high) in kinds.items():
        for coin in (0.25, 0.9):                           # a known sign never asks the coin
            assert P._draw(symbol, FakeRng(LOWEST, coin=coin), s) == low, symbol.assumptions0
            assert P._draw(symbol, FakeRng(HIGHEST, coin=coin), s) == high, symbol.assumptions0
    # A real symbol of unknown sign: + if the coin is below 1/2, else -.
    for real in (x, sp.Symbol("e", extended_real=True)):
        assert P._draw(real, FakeRng(LOWEST, coin=0.25), s) == q
        assert P._draw(real, FakeRng(LOWEST, coin=0.5), s) == -q
    irrational = sp.Symbol("w", irrational=True)
    assert P._draw(irrational, FakeRng(LOWEST, coin=0.5), s) == -q * sp.sqrt(2)


def test_declared_keeps_only_the_checked_assumptions(monkeypatch):
    monkeypatch.setattr(P, "_FACTS", {})                 # computed afresh, not from the cache
    facts = P.declared(a)
    assert facts["positive"] is True and facts["negative"] is False and facts["real"] is True
    assert "commutative" not in facts and "infinite" not in facts and "hermitian" not in facts
    assert P.declared(sp.Symbol("r")) == {}
    assert P.declared(a) == facts                            # cached, the same answer


def test_satisfies_judges_rationals_exactly_and_other_numbers_at_50_digits():
    n = sp.Symbol("n", integer=True, positive=True)
    nn, neg, npos = (sp.Symbol("v", nonnegative=True), sp.Symbol("v", negative=True),
                     sp.Symbol("v", nonpositive=True))
    zero, nonzero = sp.Symbol("v", zero=True), sp.Symbol("v", nonzero=True)
    imag, plain = sp.Symbol("v", imaginary=True), sp.Symbol("v")
    irrational = sp.Symbol("v", irrational=True)
    yes = [(sp.Rational(1, 2), a), (3, n), (0, nn), (-2, neg), (0, npos), (sp.sqrt(2), a),
           (-sp.sqrt(2), neg), (-sp.sqrt(3), x), (sp.Float(0), nn), (sp.Float(0), npos),
           (sp.Integer(0), zero), (sp.sqrt(2), nonzero), (sp.I * sp.sqrt(2), imag),
           (sp.sqrt(2) + sp.I, plain), (sp.pi, x)]
    no = [(0, a), (-1, a), (sp.Rational(1, 2), n), (0, n), (sp.sqrt(2), n), (sp.pi, irrational),
          (-sp.sqrt(2), a), (sp.sqrt(3), neg), (sp.sqrt(3), npos), (-sp.sqrt(3), nn),
          (sp.Float(0), a), (sp.Float(0), neg), (sp.Float(0), nonzero), (sp.sqrt(2), zero),
          (sp.Float(0), zero),    # zero is an integer: a float is never shown to be one
          (sp.I, a), (sp.I, x), (sp.sqrt(2), imag), (sp.Function("g")(1), a),
          (sp.Function("g")(1), plain)]
    for value, symbol in yes:
        assert P.satisfies(value, symbol) is True, (value, symbol.assumptions0)
    for value, symbol in no:
        assert P.satisfies(value, symbol) is False, (value, symbol.assumptions0)


def test_random_points_respect_integer_kinds_and_where():
    prime, even, odd = (sp.Symbol("p", prime=True), sp.Symbol("m", even=True, positive=True),
                        sp.Symbol("o", odd=True, negative=True))
    drawn = list(P.random_points({prime, even, odd}, None, 12, seed=5))
    assert len(drawn) == 12
    assert all(p[prime] in (2, 3, 5) and p[even] in (2, 4, 6) and p[odd] in (-1, -3, -5)
               for p in drawn)
    constrained = list(P.random_points({a, b}, {a: 1 + b}, 4, seed=0))
    assert len(constrained) == 4 and all(p[a] == 1 + p[b] and p[b] > 0 for p in constrained)
    assert list(P.random_points(set(), None, 2, seed=0)) == [{}, {}]


def test_random_points_give_up_after_400_attempts_shrinking_the_scale_every_8(monkeypatch):
    scales = []

    def recording(symbol, rng, scale):                     # a value b > 0 never has
        scales.append(scale)
        return sp.Integer(-1)
    monkeypatch.setattr(P, "_draw", recording)
    c = sp.Symbol("c", positive=True)
    with pytest.raises(P.NoPoint, match=r"^no point found where every symbol keeps its assumptions "
                                        r"and a = b \+ 1, c = b \+ 2: the constraints contradict"):
        list(P.random_points({a}, {a: b + 1, c: b + 2}, 1, seed=0))
    assert len(scales) == 400                              # one draw of b per attempt
    assert scales == [sp.Rational(1, 4 ** (k // 8)) for k in range(1, 401)]


def test_random_points_without_where_say_so_when_no_point_fits(monkeypatch):
    monkeypatch.setattr(P, "_draw", lambda symbol, rng, scale: sp.Integer(-1))
    with pytest.raises(P.NoPoint, match=r"^no point found where every symbol keeps its assumptions: "
                                        r"the constraints contradict"):
        next(P.random_points({a}, None, 1, seed=0))


def test_fixed_values_finds_the_keys_set_to_a_number():
    assert P.fixed_values(None) == [] and P.fixed_values({}) == []
    assert P.fixed_values({x: 2, y: a + 1}) == [x]
    assert P.fixed_values({x: 2, y: sp.sin(a) ** 2 + sp.cos(a) ** 2}) == [x, y]
    assert P.fixed_values({x: sp.Function("g")(a)}) == []   # not evaluable: not shown constant


def test_fixed_values_tolerance_is_relative_above_one_and_inclusive(monkeypatch):
    # The two points are a = 1 and a = 3: the value differs by 2 * (its coefficient of a).
    monkeypatch.setattr(P, "random_points", lambda *args, **kwargs: iter([{a: 1}, {a: 3}]))
    agree = P.AGREE
    assert P.fixed_values({x: -1000 + a * agree * 4}) == [x]   # 8e-35 <= 1e-35 * |-1000|
    assert P.fixed_values({x: a * agree * sp.Rational(3, 4)}) == []   # 1.5e-35 > 1e-35 * 1
    assert P.fixed_values({x: a * agree * sp.Rational(49, 100)}) == [x]   # 0.98 AGREE
    assert P.fixed_values({x: a * agree * sp.Rational(51, 100)}) == []    # 1.02 AGREE


def test_validate_where_returns_sympified_values():
    assert P.validate_where(None) == {} and P.validate_where({}) == {}
    where = P.validate_where({a: 1 + b, x: 2})
    assert where == {a: 1 + b, x: sp.Integer(2)} and isinstance(where[x], sp.Integer)


@pytest.mark.parametrize("where, message", [
    ([(x, 1)], "where must map symbols to expressions, got list"),
    ({"x": 1}, "where keys must be SymPy symbols, got 'x'"),
    ({x: sp.oo}, "where gives x the non-finite value oo"),
    ({x: -sp.oo}, "where gives x the non-finite value -oo"),
    ({x: sp.nan}, "where gives x the non-finite value nan"),
    ({x: sp.zoo}, "where gives x the non-finite value zoo"),
    ({x: x + 1}, r"where defines x in terms of itself: x = x \+ 1"),
    ({a: -b}, "where sets a = -b, which is never positive, but a is declared positive"),
    ({sp.Symbol("m", negative=True): b}, "which is never negative, but m is declared negative"),
    ({sp.Symbol("m", nonnegative=True): -b}, "never nonnegative, but m is declared nonnegative"),
    ({sp.Symbol("m", nonpositive=True): b}, "never nonpositive, but m is declared nonpositive"),
    ({x: sp.I}, "where sets x = I, which is never real, but x is declared real"),
    ({sp.Symbol("k", integer=True): sp.Rational(1, 2)}, "never integer, but k is declared integer"),
    ({a: b + 1, b: x**2 + 1}, r"where defines a through another constrained symbol \(\['b'\]\)"),
])
def test_validate_where_refuses_what_cannot_be_meant(where, message):
    with pytest.raises(ValueError, match=message):
        P.validate_where(where)


def test_random_sequence_is_a_quadratic_of_the_indices_keeping_the_sign():
    # Every coefficient is drawn as 250/1000 * scale (the fake rng), with a + sign (coin 1/4).
    c = sp.Rational(1, 8)                                  # scale 1/2
    i = sp.Symbol("i")
    expected = {   # family -> its function of one index (c + c i^2 + c i^4/100 if >= 0)
        sp.IndexedBase("p", positive=True): c + c * i**2 + c * i**4 / 100,
        sp.Function("g", positive=True): c + c * i**2 + c * i**4 / 100,
        sp.Function("g", nonnegative=True): c + c * i**2 + c * i**4 / 100,
        sp.IndexedBase("r", real=True): c + c * i**2 + c * i,
        sp.Function("h", real=True): c + c * i**2 + c * i,
        sp.IndexedBase("q"): (1 + sp.I) * (c + c * i**2 + c * i),
        sp.Function("h"): (1 + sp.I) * (c + c * i**2 + c * i),
    }
    for family, body in expected.items():
        f = P._random_sequence(family, 1, FakeRng(lambda low, high: 250), sp.Rational(1, 2))
        assert all(sp.expand(f(k) - body.subs(i, k)) == 0 for k in range(-3, 4)), family
    negative = P._random_sequence(sp.Function("h", real=True), 1,
                                  FakeRng(lambda low, high: 250, coin=0.5), sp.Rational(1, 2))
    assert negative(2) == -(c + 4 * c + 2 * c)
    two = P._random_sequence(sp.IndexedBase("p", positive=True), 2,
                             FakeRng(lambda low, high: 250), sp.Integer(1))
    # 1/4 + (1/4 * 1 + 1/4 * 1/100) + (1/4 * 4 + 1/4 * 16/100)
    assert two(1, 2) == sp.Rational(617, 400)


def test_undefined_functions_of_unknown_sign_take_negative_and_complex_values():
    # Function("h").is_positive is a property object (truthy): it must not make h positive.
    h, real = sp.Function("h"), sp.Function("fr", real=True)
    seqs = [P._random_sequence(h, 1, np.random.default_rng(s), sp.Integer(1)) for s in range(3)]
    assert all(not f(1).is_real for f in seqs)
    reals = [P._random_sequence(real, 1, np.random.default_rng(s), sp.Integer(1)) for s in range(8)]
    assert all(f(1).is_real for f in reals) and any(f(1) < 0 for f in reals)


def test_a_wrong_rewrite_on_an_unassumed_function_is_refuted(monkeypatch):
    # |f(x)| = f(x) is false for a real f, Re h(x) = h(x) for a general h: the points must say so.
    from helpers.verify import symbolic
    monkeypatch.setattr(symbolic, "_rewrites", lambda: [("broken", lambda e: sp.Integer(0), True)])
    h, real = sp.Function("h"), sp.Function("fr", real=True)
    with pytest.raises(CheckFailed, match="is false: at .*'broken' rewrite") as f:
        assert_identity(sp.Abs(real(x)), real(x))
    assert f.value.refuted
    assert P.agree_at_points(sp.re(h(x)), h(x))[1] is not None


def test_exact_carries_out_finite_sums_and_products():
    k = sp.Symbol("k", integer=True)
    assert P._exact(sp.Sum(k, (k, 1, 4))) == 10 and P._exact(sp.Product(k, (k, 1, 4))) == 24
    assert P._exact(x + 1) == x + 1

    class Stubborn(sp.Sum):
        def doit(self, **hints):
            raise RuntimeError("SymPy gives up")
    stubborn = Stubborn(k, (k, 1, 3))
    assert P._exact(stubborn) is stubborn


def test_families_and_plain_symbols():
    i, j = sp.symbols("i j", integer=True)
    f, g = sp.IndexedBase("f"), sp.Function("g")
    symbols = {f[i, j], g(x, y), x, i, f.label}
    assert P._families(symbols) == {f: 2, g: 2}
    assert P._plain(symbols) == {x, i}
    assert P.symbols_of(x + g(a, b), sp.Integer(1), b) == {x, a, b, g(a, b)}


# ---- points: exact evaluation -------------------------------------------------------

z = sp.Symbol("z", real=True)


def test_mp_maps_infinite_and_finite_limits():
    import mpmath
    assert P._mp(sp.oo) == mpmath.inf and P._mp(-sp.oo) == -mpmath.inf
    with mpmath.workdps(45):
        assert abs(P._mp(sp.Rational(1, 3)) - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -41
        assert abs(P._mp(sp.pi) - mpmath.pi) < mpmath.mpf(10) ** -41


def test_breakpoints_are_the_numbers_inside_the_interval():
    import mpmath
    inf = mpmath.inf
    # (z - 3)^2 + z/7 holds the numbers -3, 2, 1/7; only 2 and 1/7 are inside (0, 5).
    assert P._breakpoints((z - 3) ** 2 + z / 7, sp.Integer(0), sp.Integer(5)) == [0, 1 / 7, 2, 5]
    assert P._breakpoints(z**2, sp.Integer(2), sp.Integer(5)) == [2, 5]     # ends excluded
    assert P._breakpoints(z**5, sp.Integer(0), sp.Integer(5)) == [0, 5]
    assert P._breakpoints(sp.exp(-z), sp.Integer(0), sp.oo) == [0, inf]     # half-infinite: no
    assert P._breakpoints(sp.exp(z), -sp.oo, sp.Integer(0)) == [-inf, 0]    # extra points
    # On the whole line the points -10, -1, 0, 1, 10 are added; numbers >= 1e6 are not used.
    assert P._breakpoints(z + 10**6, -sp.oo, sp.oo) == [-inf, -10, -1, 0, 1, 10, inf]
    assert P._breakpoints(z + 999_999, -sp.oo, sp.oo) == [-inf, -10, -1, 0, 1, 10, 999_999, inf]
    assert P._breakpoints(z - 10**6, -sp.oo, sp.oo) == [-inf, -10, -1, 0, 1, 10, inf]
    assert P._breakpoints(z - 3, sp.oo, sp.Integer(0)) == [inf, 0]        # reversed: nothing inside


def test_breakpoints_keep_at_most_sixteen_inner_points():
    # exp(-(z - k/3)^2) holds -k/3 for k = 1..30: the 16 smallest are -30/3 .. -15/3.
    body = sp.Add(*[sp.exp(-(z - sp.Rational(k, 3)) ** 2) for k in range(1, 31)])
    points = P._breakpoints(body, -sp.oo, sp.oo)
    assert len(points) == 18
    assert points[1:-1] == [-k / 3 for k in range(30, 14, -1)]


def test_quadrature_replaces_definite_numeric_integrals():
    gauss = P._quadrature(sp.Integral(sp.exp(-z**2), (z, 0, 1)))
    assert abs(gauss - sp.sqrt(sp.pi) * sp.erf(1) / 2).evalf(70) < 1e-40
    import mpmath
    assert mpmath.libmp.prec_to_dps(gauss._prec) >= 60
    assert abs(P._quadrature(3 + sp.Integral(z, (z, 0, 1))) - sp.Rational(7, 2)) < 1e-40
    w = sp.Symbol("w", real=True)
    untouched = [sp.Integral(z * w, (z, 0, 1), (w, 0, 1)), sp.Integral(z, z),
                 sp.Integral(z * a, (z, 0, 1)), sp.Integral(z, (z, 0, a)),
                 sp.Integral(1 / z, (z, -1, 1))]         # the last: mpmath raises at the pole
    for integral in untouched:
        assert P._quadrature(integral) == integral
    assert P._quadrature(x + 1) == x + 1


def test_unroll_writes_out_sums_with_integer_limits():
    k, i, j, n = sp.symbols("k i j n", integer=True, positive=True)
    assert P._unroll(sp.Sum(k, (k, 1, 4))) == 10
    assert P._unroll(sp.Sum(k**2, (k, -2, 2)) + 1) == 11
    # sum_{j=1}^{3} sum_{i=1}^{j} i j = 1 + 2*3 + 3*6 = 25: the inner limit depends on j.
    assert P._unroll(sp.Sum(i * j, (i, 1, j), (j, 1, 3))) == 25
    assert P._unroll(sp.Sum(k, (k, 1, n))) == sp.Sum(k, (k, 1, n))
    assert P._unroll(x) == x
    # At most 10 000 + 1 terms are written out.
    assert P._unroll(sp.Sum(sp.Integer(0), (k, 1, 10_001))) == 0
    assert P._unroll(sp.Sum(sp.Integer(0), (k, 1, 10_002))).has(sp.Sum)


def test_substitute_point_puts_in_sequences_functions_and_values():
    f, g = sp.IndexedBase("f"), sp.Function("g")
    i = sp.Symbol("i")
    point = {f: sp.Lambda(i, i**2), g: sp.Lambda(i, i**3), x: sp.Integer(3)}
    assert P.substitute_point(f[2] + x, point) == 7
    assert P.substitute_point(g(x) + f[x], point) == 27 + 9
    # d/dx g(2x) = 2 g'(2x) = 2 * 3 (2x)^2 = 24 at x = 1
    assert P.substitute_point(g(2 * x).diff(x), {**point, x: sp.Integer(1)}) == 24
    assert P.substitute_point(g(x).diff(x), point) == 27
    assert P.substitute_point(x + y, {x: sp.Integer(1)}) == 1 + y


def test_evaluate_gives_60_digits_or_none():
    root = P.evaluate(sp.sqrt(2), {})
    assert abs(root - sp.sqrt(2)).evalf(80) < 1e-58
    assert abs(P.evaluate(x**2, {x: sp.Rational(1, 2)}) - sp.Rational(1, 4)) < 1e-58
    k = sp.Symbol("k", integer=True)
    assert abs(P.evaluate(sp.Sum(k, (k, 1, 4)) + sp.Integral(z, (z, 0, 2)), {}) - 12) < 1e-50
    for bad in [x, sp.log(sp.Integer(0)), sp.oo, -sp.oo, sp.zoo, sp.nan, sp.Function("g")(1),
                sp.Integral(1 / z, (z, -1, 1))]:
        assert P.evaluate(bad, {}) is None, bad


def test_prepare_applies_lemmas_derivatives_and_limits():
    from helpers.verify.symbolic import Lemma
    t = sp.Symbol("t", positive=True)
    square = type("sq", (Lemma,), {"nargs": 1, "body": t**2, "variable": t})
    assert P.prepare(square(a + 1)) == (a + 1) ** 2
    assert P.prepare(sp.Derivative(x**3, x)) == 3 * x**2
    assert P.prepare(sp.Limit(sp.sin(x) / x, x, 0)) == 1
    assert P.prepare(2) == 2


def test_disagreement_is_relative_to_the_larger_side_and_inclusive():
    agree = P.AGREE
    assert P.disagreement(a + b, a * b, {b: sp.Integer(3), a: sp.Rational(1, 2)}) == (
        "at a = 1/2, b = 3 the left side is 3.50000000000 and the right side "
        "1.50000000000 (they differ by 2.00)")
    assert P.disagreement(sp.Integer(0), agree, {}) is None               # exactly AGREE * 1
    assert P.disagreement(sp.Integer(0), sp.Rational(3, 2) * agree, {}) is not None
    assert P.disagreement(10**6 * (1 + agree / 2), sp.Integer(10**6), {}) is None
    assert P.disagreement(-(10**6) * (1 + agree / 2), sp.Integer(-(10**6)), {}) is None
    assert P.disagreement(sp.Integer(-(10**6)), -(10**6) * (1 + agree / 2), {}) is None
    assert P.disagreement(-(10**6) * (1 + 2 * agree), sp.Integer(-(10**6)), {}) is not None
    g = sp.Function("g")
    assert P.disagreement(g(1), 1, {}) == P.disagreement(1, g(1), {}) == "unevaluable"


def test_agree_at_points_counts_agreeing_points_and_skips_unevaluable_ones():
    assert P.agree_at_points(a, a, n=5) == (5, None)
    assert P.agree_at_points(a, 1 + b, where={a: 1 + b}) == (3, None)
    # max(x, 0) = x holds at x > 0 only; the first negative drawn x refutes it.
    xs = [p[x] for p in P.random_points({x}, None, 20, seed=0)]
    first_negative = next(k for k, v in enumerate(xs) if v < 0)
    agreed, counter = P.agree_at_points(sp.Max(x, 0), x, n=10)
    assert agreed == first_negative and counter.startswith(f"at x = {xs[first_negative]} ")
    # Not a number for x < 0, x otherwise: the negative points are skipped, not counted.
    nowhere = sp.Integral(1 / z, (z, -1, 1))                 # mpmath cannot take it: unevaluable
    half = sp.Piecewise((nowhere, x < 0), (x, True))
    assert P.agree_at_points(half, x, n=3) == (3, None)
    assert P.agree_at_points(nowhere * x, x, n=2) == (0, None)


def test_agree_at_points_tries_4n_plus_8_points_before_giving_up(monkeypatch):
    tried = []
    monkeypatch.setattr(P, "disagreement", lambda lhs, rhs, point: tried.append(point) or "unevaluable")
    assert P.agree_at_points(a, b, n=3) == (0, None) and len(tried) == 20


@pytest.mark.parametrize("n", [0, -1, 2.0, True, None])
def test_points_need_a_whole_positive_number_of_points(n):
    with pytest.raises(ValueError, match="n must be a whole number of points >= 1"):
        P.agree_at_points(a, a, n=n)
    with pytest.raises(ValueError, match="n must be a whole number of points >= 1"):
        P.sign_at_points(a, n=n)


def test_sign_at_points_thresholds_strict_and_not():
    agree = P.AGREE
    assert P.sign_at_points(sp.Integer(0)) is None                       # 0 >= 0
    assert P.sign_at_points(sp.Integer(0), strict=True) == "at  it is 0"  # but not > 0
    assert P.sign_at_points(sp.Rational(1, 2), strict=True) is None
    assert P.sign_at_points(agree / 10**10, strict=True) is None            # tiny but > 0
    assert P.sign_at_points(-agree) is None                              # rounding allowed...
    assert P.sign_at_points(-agree, strict=True) is not None
    assert P.sign_at_points(-agree * sp.Rational(101, 100)) == "at  it is -1.01000E-35"  # 6 digits
    assert P.sign_at_points(x**2) is None and P.sign_at_points(x**2 + 1, strict=True) is None
    assert P.sign_at_points(-a).startswith("at a = ")
    assert P.sign_at_points(a - 1, where={a: 1 + b}, strict=True) is None   # = b > 0
    assert P.sign_at_points(a - 1, n=3, seed=0) is not None or P.sign_at_points(a - 1, n=6, seed=1)


def test_sign_at_points_skips_points_where_the_value_is_not_real():
    # sqrt(x) - 10 is complex for x < 0 (skipped) and negative for 0 < x <= 5 (reported).
    for seed in range(4):
        xs = [p[x] for p in P.random_points({x}, None, 3, seed)]
        verdict = P.sign_at_points(sp.sqrt(x) - 10, seed=seed)
        if any(v > 0 for v in xs):
            first = next(v for v in xs if v > 0)
            assert verdict.startswith(f"at x = {first} it is -")
        else:
            assert verdict is None
    assert any(p[x] < 0 for p in P.random_points({x}, None, 1, 1))   # seed 1 starts below 0
    assert P.sign_at_points(sp.I - 5) is None and P.sign_at_points(sp.Function("g")(1)) is None


# ---- refute: assert_fails ------------------------------------------------------------

from helpers.verify import registry   # noqa: E402
from helpers.verify.refute import Refutation   # noqa: E402


def test_assert_fails_credits_one_check_and_nothing_the_refuted_check_recorded():
    assert_close(1.0, 1.0)
    before = registry.passed_count()

    def records_then_refutes():
        assert_close(2.0, 2.0, label="eq-inside")             # recorded, then refuted
        raise CheckFailed("at x = 1 the sides differ", refuted=True)
    refutation = assert_fails("the sides are equal", records_then_refutes)
    assert isinstance(refutation, Refutation)
    assert refutation == Refutation("the sides are equal", "at x = 1 the sides differ")
    assert registry.passed_count() == before + 1 and "eq-inside" not in verify.checked_labels()
    assert len(registry.snapshot()[0]) == 1                  # only the first assert_close


def test_assert_fails_refuses_a_failure_without_counterexample_and_a_pass():
    before = registry.passed_count()

    def unproven():
        assert_close(2.0, 2.0, label="eq-inside")
        raise CheckFailed("SymPy could not prove it")
    with pytest.raises(CheckFailed, match=r"^not refuted: log rule\. The check failed without a "
                                          r"counterexample, so the claim may be true: SymPy could "
                                          r"not prove it$") as f:
        assert_fails("log rule", unproven)
    assert not f.value.refuted and f.value.__cause__ is None and f.value.__suppress_context__
    with pytest.raises(CheckFailed, match=r"^expected this check to refute the claim, but it "
                                          r"passed: 2 = 2$") as f:
        assert_fails("2 = 2", assert_close, 2.0, 2.0, label="eq-two")
    assert not f.value.refuted
    assert registry.passed_count() == before and verify.checked_labels() == {}


def test_assert_fails_passes_arguments_through():
    refutation = assert_fails("1 = 2 within 1e-12", assert_close, 1.0, exact=2.0, rtol=1e-12)
    assert refutation.message.startswith("value 1.0 differs from exact 2.0 by 1 > allowed")


@pytest.mark.parametrize("claim", ["", "  ", None, 3])
def test_assert_fails_needs_a_claim_in_words(claim):
    with pytest.raises(ValueError, match="claim must say in words what is refuted"):
        assert_fails(claim, assert_close, 1.0, 2.0)


def test_assert_fails_needs_a_callable_check():
    with pytest.raises(TypeError, match="check must be a check function, got 'assert_close'"):
        assert_fails("1 = 2", "assert_close", 1.0, 2.0)


def test_refutation_shows_claim_and_message():
    shown = Refutation("1 = 2", "value `1` differs")
    assert repr(shown) == "refuted: 1 = 2 (value `1` differs)"
    assert shown._repr_markdown_() == ("✘ refuted, as it must be: 1 = 2. "
                                       "The check says: `value '1' differs`")


# ---- identity: assert_identity ---------------------------------------------------------

def test_identity_records_statement_strength_and_method():
    shown = assert_identity(a * b, b * a, label="eq-ab")
    [check] = verify.checked_labels()["eq-ab"]
    assert (check.kind, check.strength, check.what) == ("identity", "proof", "$a b = a b$")
    assert check.detail == shown.method and shown.method.startswith("SymPy (")
    assert (shown.lhs, shown.rhs, shown.label, shown.strength) == (a * b, b * a, "eq-ab", "proof")
    assert (shown.claim, shown.checked_on, shown.where) == (None, None, ())
    assert repr(shown) == f"Identity(a*b = a*b, proven by {shown.method})"
    assert shown._repr_markdown_().startswith("$$\na b = a b\n$$\n\n<small>[✔ proof]")
    assert shown._repr_markdown_().endswith(f": proven by {shown.method}.</small>\n")


def test_identity_on_a_special_case_or_a_fixed_value_is_a_stand_in():
    on = assert_identity(a * b, b * a, checked_on="two factors", label="eq-on")
    assert on.strength == "stand-in" and on.checked_on == "two factors"
    assert verify.checked_labels()["eq-on"][0].what == "$a b = a b$, on two factors"
    assert "checked on two factors" in on._repr_markdown_()
    fixed = assert_identity(a + b, b + 2, where={a: 2}, label="eq-fixed")
    assert fixed.strength == "stand-in" and fixed.where == ((a, 2),)
    free = assert_identity(a - b, 1, where={a: b + 1}, label="eq-free")
    assert free.strength == "proof"
    assert verify.checked_labels()["eq-free"][0].what == "$a - b = 1$, where $a = b + 1$"
    assert "where $a = b + 1$" in free._repr_markdown_()


def test_identity_claim_replaces_the_statement_and_long_statements_are_described():
    shown = assert_identity(a * b, b * a, claim="products commute", label="eq-c")
    assert verify.checked_labels()["eq-c"][0].what == "products commute"
    assert shown._repr_markdown_().startswith("\n<small>[✔ proof]")
    assert shown._repr_markdown_().endswith(f"products commute, proven by {shown.method}.</small>\n")
    from helpers.verify.display import WHAT_LIMIT
    def sides(k):                              # u (w + 1) = u w + u, w's name k letters long
        u, w = sp.Symbol("u"), sp.Symbol("w" * k)
        return u * (w + 1), u * w + u
    def length(k):
        return len(f"${sp.latex(sides(k)[0])} = {sp.latex(sides(k)[1])}$")
    k = next(k for k in range(1, 60) if length(k) == WHAT_LIMIT)    # exactly at the limit
    assert_identity(*sides(k), label="eq-at-limit")
    assert verify.checked_labels()["eq-at-limit"][0].what.startswith("$u")
    assert length(k + 1) > WHAT_LIMIT
    assert_identity(*sides(k + 1), label="eq-long")
    assert verify.checked_labels()["eq-long"][0].what == "the identity shown above"
    assert_identity(*sides(k + 1), label="eq-long-claim", claim="x" * (WHAT_LIMIT + 5))
    assert verify.checked_labels()["eq-long-claim"][0].what == "x" * (WHAT_LIMIT + 5)


def test_identity_display_stacks_long_sides():
    terms = sp.Add(*[sp.Symbol(f"w_{k}", positive=True) ** 2 for k in range(25)])
    shown = assert_identity(terms, sp.expand(terms))._repr_markdown_()
    assert shown.startswith("$$\n\\begin{aligned}\n&") and "\n&= " in shown


def test_identity_false_or_badly_posed_is_refused_with_reasons():
    with pytest.raises(CheckFailed, match=r"^the identity exp\(a \+ b\) = exp\(a\) \+ exp\(b\) is "
                                          r"false: at a = ") as f:
        assert_identity(sp.exp(a + b), sp.exp(a) + sp.exp(b))
    assert f.value.refuted
    with pytest.raises(ValueError, match="label must be a string starting with 'eq-'"):
        assert_identity(sp.exp(a + b), sp.exp(a) + sp.exp(b), label="wrong")   # before the proof
    for checked_on in ("", "   ", 3):
        with pytest.raises(ValueError, match="checked_on must name the special case in words"):
            assert_identity(a, a, checked_on=checked_on)
    with pytest.raises(ValueError, match=r"two different symbols share the name\(s\)"):
        assert_identity(sp.Symbol("a"), a)
    with pytest.raises(ValueError, match=r"two different symbols share the name\(s\)"):
        assert_identity(a, 1, where={sp.Symbol("a"): 1})
    with pytest.raises(ValueError, match="where keys must be SymPy symbols"):
        assert_identity(a, a, where={"a": 1})
    with pytest.raises(TypeError, match="^lhs must be a SymPy expression"):
        assert_identity([a], a)
    with pytest.raises(TypeError, match="^rhs must be a SymPy expression"):
        assert_identity(a, [a])
    with pytest.raises(ValueError, match=r"two different symbols share the name\(s\)"):
        assert_identity(a, a, where={b: sp.Symbol("a") + 1})      # the clash is in a where value
    assert verify.checked_labels() == {}


# ---- strength and registry -----------------------------------------------------------

# The order the strength module's docstring states, strongest first.
ORDER = ["proof", "stand-in", "exact-instances", "sampled", "monte-carlo", "numeric"]


def test_weakest_strongest_and_cap_follow_the_documented_order():
    from helpers.verify.strength import STRENGTHS, cap, strongest, weakest
    assert list(STRENGTHS) == ORDER
    for i, s in enumerate(ORDER):
        for j, t in enumerate(ORDER):
            assert weakest([s, t]) == ORDER[max(i, j)] and strongest([s, t]) == ORDER[min(i, j)]
            assert cap(s, t) == ORDER[max(i, j)]
    assert weakest(["sampled"]) == strongest(["sampled"]) == "sampled"
    assert weakest(iter(["proof", "numeric", "stand-in"])) == "numeric"
    assert strongest(iter(["numeric", "sampled", "monte-carlo"])) == "sampled"


def test_strengths_refuse_unknown_words_and_empty_lists():
    from helpers.verify.strength import Check, cap, strongest, weakest
    for function in (weakest, strongest):
        with pytest.raises(ValueError, match="strengths must not be empty"):
            function([])
        with pytest.raises(ValueError, match=r"strength must be one of proof, stand-in, "
                                             r"exact-instances, sampled, monte-carlo, numeric; "
                                             r"got 'proven'"):
            function(["proof", "proven"])
    with pytest.raises(ValueError, match="got 'best'"):
        cap("best", "proof")
    with pytest.raises(ValueError, match="got 'Proof'"):
        Check("identity", "Proof", "a = a", "direct")
    check = Check("identity", "proof", "a = a", "direct")
    assert (check.kind, check.strength, check.what, check.detail, check.label) == (
        "identity", "proof", "a = a", "direct", None)


def test_validate_label():
    from helpers.verify.registry import validate_label
    assert validate_label(None) is None and validate_label("eq-a") == "eq-a"
    for bad in ("eq-", "eqa", "q-a", "EQ-a", 4, ["eq-a"]):
        with pytest.raises(ValueError, match="label must be a string starting with 'eq-', got "):
            validate_label(bad)


def test_registry_records_counts_groups_and_restores():
    from helpers.verify.strength import Check
    one, two, free = (Check("close", "numeric", "1", "d", "eq-one"),
                      Check("close", "proof", "2", "d", "eq-one"),
                      Check("close", "numeric", "3", "d"))
    assert registry.record(one) is one and registry.passed_count() == 1
    assert registry.record(free, count=False) is free and registry.passed_count() == 1
    registry.record(two)
    assert registry.passed_count() == 2
    assert registry.checked_labels() == {"eq-one": [one, two]}
    with pytest.raises(ValueError, match="label must be a string"):
        registry.record(Check("close", "numeric", "4", "d", "four"))
    saved = registry.snapshot()
    assert saved == ([one, free, two], 2)
    registry.record(Check("close", "numeric", "5", "d", "eq-five"))
    registry.restore(saved)
    assert registry.passed_count() == 2 and "eq-five" not in registry.checked_labels()
    registry.restore(saved, extra_passed=3)
    assert registry.passed_count() == 5 and registry.snapshot()[0] == [one, free, two]
    registry.clear_registry()
    assert registry.passed_count() == 0 and registry.checked_labels() == {}
    assert registry.snapshot() == ([], 0)


def test_check_failed_is_an_assertion_and_refutes_only_when_told():
    failure = CheckFailed("why")
    assert isinstance(failure, AssertionError) and str(failure) == "why" and failure.refuted is False
    assert CheckFailed("why", refuted=True).refuted is True


@pytest.mark.parametrize("call, name", [
    (lambda bad: assert_mc_close(bad, 1.0), "samples"),
    (lambda bad: assert_mc_close(np.zeros(40), bad), "exact"),
    (lambda bad: assert_close(bad, 1.0), "value"),
    (lambda bad: assert_close(1.0, bad), "exact"),
    (lambda bad: assert_inequality(bad, 1.0), "larger"),
    (lambda bad: assert_inequality(1.0, bad), "smaller"),
])
def test_numeric_checks_name_the_bad_argument(call, name):
    with pytest.raises(ValueError, match=f"^{name} must be finite"):
        call([1.0, np.inf])
    with pytest.raises(ValueError, match=f"^{name} must not be empty"):
        call([])


def test_inequality_loose_atol_with_a_reason_and_its_label():
    shown = assert_inequality(1.0, 1.5, atol=0.5, reason="a bound good to one half", label="eq-half")
    assert shown.label == "eq-half" and shown.detail.endswith("atol 0.5; a bound good to one half")
    with pytest.raises(ValueError, match=r"^atol=0\.5 is looser than 0\.001: pass reason="):
        assert_inequality(1.0, 1.5, atol=0.5)


def test_where_is_substituted_before_derivatives_are_taken():
    # a = 1 + b: d a / d b is 1 once the constraint is put in (0 if a stayed a symbol).
    assert P.agree_at_points(sp.Derivative(a, b), 1, where={a: 1 + b}) == (3, None)
    assert P.sign_at_points(sp.Derivative(a, b) - 1, where={a: 1 + b}, strict=False) is None
    assert P.sign_at_points(sp.Derivative(a, b) - 1, where={a: 1 + b}, strict=True) is not None


def test_random_points_draw_the_symbols_of_where_values_and_check_every_key():
    c = sp.Symbol("c", positive=True)
    for p in P.random_points({a}, {a: 1 + b}, 3, seed=0):     # b appears only in where
        assert p[a] == 1 + p[b] and p[b] > 0
    # a = 1 - b > 0 needs b < 1, c = 2 - b > 0 needs b < 2: every point keeps both.
    drawn = list(P.random_points({a, c}, {a: 1 - b, c: 2 - b}, 10, seed=2))
    assert all(p[a] > 0 and p[c] > 0 and p[a] == 1 - p[b] for p in drawn)


def test_satisfies_never_shows_a_float_rational():
    rational = sp.Symbol("v", rational=True)
    assert P.satisfies(sp.Rational(1, 3), rational) and not P.satisfies(sp.sqrt(2), rational)
    n = sp.Symbol("n", integer=True, positive=True)
    assert not P.satisfies((sp.sqrt(2) + 1) * (sp.sqrt(2) - 1), n)     # = 1, but not shown exactly


def test_negative_families_keep_their_sign():
    for family in (sp.IndexedBase("f", negative=True), sp.Function("f", negative=True),
                   sp.IndexedBase("f", nonpositive=True), sp.Function("f", nonpositive=True)):
        for seed in range(3):
            f = P._random_sequence(family, 1, np.random.default_rng(seed), sp.Integer(1))
            assert all(f(k) < 0 for k in range(-4, 5)), family
    c = sp.Rational(1, 8)
    f = P._random_sequence(sp.IndexedBase("f", negative=True), 1,
                           FakeRng(lambda low, high: 250), sp.Rational(1, 2))
    assert f(2) == -(c + 4 * c + 16 * c / 100)             # the positive form, negated
    # sqrt(f^2) = -f holds for a negative family: it must not be refuted.
    k = sp.Symbol("k", integer=True)
    neg = sp.IndexedBase("f", negative=True)
    assert P.agree_at_points(sp.sqrt(neg[k] ** 2), -neg[k], n=3) == (3, None)


def test_fixed_values_is_deterministic():
    # max(b, 5/2) is 5/2 at two points only when both b < 5/2 (chance 1/4 for b drawn in
    # (0, 5)): the verdict depends on the points, so they must be the same (seeded) ones
    # every time; unseeded, 20 calls would all agree with chance 0.75^20 + 0.25^20 < 0.004.
    verdicts = {tuple(P.fixed_values({x: sp.Max(b, sp.Rational(5, 2))})) for _ in range(20)}
    assert len(verdicts) == 1


def test_point_checks_default_to_three_points_from_seed_zero(monkeypatch):
    seen = []
    evaluate = P.evaluate
    monkeypatch.setattr(P, "evaluate", lambda expr, point: seen.append(point) or evaluate(expr, point))
    assert P.sign_at_points(a + 1) is None
    assert seen == list(P.random_points({a}, None, 3, seed=0))
    seen.clear()
    assert P.agree_at_points(a, a) == (3, None)
    assert seen[::2] == list(P.random_points({a}, None, 3, seed=0))   # two sides per point


def test_the_symbols_of_both_sides_are_drawn_and_where_restricts_the_points():
    assert P.agree_at_points(a, 1)[1].startswith("at a = ")        # a symbol on one side only
    assert P.agree_at_points(1, a)[1].startswith("at a = ")
    # a = 1 - b > 0 only for b < 1: there |a| = a and a > 0; elsewhere neither would hold.
    assert P.agree_at_points(sp.Abs(1 - b), a, where={a: 1 - b}, n=5) == (5, None)
    assert P.sign_at_points(a, where={a: 1 - b}, strict=True, n=5) is None


def test_one_point_is_enough(monkeypatch):
    assert P.agree_at_points(a, a, n=1) == (1, None)
    assert P.sign_at_points(a, n=1) is None


def test_fixed_values_accepts_a_difference_of_exactly_agree(monkeypatch):
    # Values 0 and AGREE at the two points: |0 - AGREE| <= AGREE * max(|0|, 1), with equality.
    monkeypatch.setattr(P, "random_points", lambda *args, **kwargs: iter([{a: 0}, {a: 1}]))
    assert P.fixed_values({x: a * P.AGREE}) == [x]
    assert P.fixed_values({x: a * P.AGREE * sp.Rational(101, 100)}) == []


def test_identity_shows_every_where_entry_and_its_label():
    shown = assert_identity(a + x, b + 2, where={a: b + 1, x: 1}, label="eq-two-where")
    assert verify.checked_labels()["eq-two-where"][0].what == (
        "$a + x = b + 2$, where $a = b + 1$, $x = 1$")
    assert "where $a = b + 1$, $x = 1$" in shown._repr_markdown_()
    assert "{eq}`eq-two-where`" in shown._repr_markdown_()
    claimed = assert_identity(a, a, claim="a is a", label="eq-claimed")
    assert "{eq}`eq-claimed`" in claimed._repr_markdown_()


def test_identity_is_shown_on_one_line_up_to_twice_the_line_width():
    from helpers.verify import display
    wide = 2 * display.LINE                                  # 180 characters
    T = sp.Symbol("T", positive=True)

    def two_terms(k):
        return sp.Symbol("p" * 88, positive=True) + sp.Symbol("q" * k, positive=True)
    at, over = two_terms(88), two_terms(89)
    assert len(sp.latex(at) + "T") == wide and len(sp.latex(over) + "T") == wide + 1
    for lhs, rhs in [(at, T), (T, at)]:
        shown = assert_identity(lhs, rhs, where={T: at})._repr_markdown_()
        assert shown.startswith(f"$$\n{sp.latex(lhs)} = {sp.latex(rhs)}\n$$\n"), shown[:60]
    for lhs, rhs in [(over, T), (T, over)]:
        shown = assert_identity(lhs, rhs, where={T: over})._repr_markdown_()
        assert shown.startswith("$$\n\\begin{aligned}\n&"), shown[:60]


def test_identity_with_one_long_side_is_stacked_whole():
    from helpers.verify import display
    S = sp.Symbol("S", positive=True)
    terms = sp.Add(*[sp.Symbol(f"w_{k}", positive=True) ** 2 for k in range(25)])
    long_lines = display.lines(terms, 2 * display.LINE)
    assert len(long_lines) > 1 and len(long_lines[0] + "S") <= 2 * display.LINE
    for lhs, rhs in [(terms, S), (S, terms)]:
        shown = assert_identity(lhs, rhs, where={S: terms})._repr_markdown_()
        assert shown.startswith("$$\n\\begin{aligned}\n&") and all(line in shown for line in long_lines)
