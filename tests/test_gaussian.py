"""Tests for helpers.gaussian: agreement with independent computations,
properties of the KL divergence, accuracy near equality, and input validation."""

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats

import sympy as sp

from helpers.gaussian import (kl_mvn, kl_normal, log_normal, log_normal_expr,
                              standard_normal_rule, standard_normal_rule_2d)

# derandomize: the examples are a fixed function of the test, like the fixed numpy seeds.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)
means = st.floats(-50, 50, allow_subnormal=False)
variances = st.floats(1e-3, 1e3)


@st.composite
def mvn(draw, d):
    """A mean in [-50, 50]^d and an SPD covariance B B^T + 0.1 I, B in [-2, 2]^(d x d)."""
    mean = draw(arrays(np.float64, d, elements=means))
    b = draw(arrays(np.float64, (d, d), elements=st.floats(-2, 2)))
    return mean, b @ b.T + 0.1 * np.eye(d)


@st.composite
def mvn_pair(draw):
    d = draw(st.integers(1, 4))
    return draw(mvn(d)), draw(mvn(d))


def random_spd(rng, d):
    b = rng.standard_normal((d, d))
    return b @ b.T + 0.5 * np.eye(d)


def kl_normal_mp(mq, vq, mp_, vp):
    """Univariate KL evaluated in 50-digit arithmetic from the float64 inputs."""
    with mpmath.workdps(50):
        mq, vq, mp_, vp = (mpmath.mpf(float(a)) for a in (mq, vq, mp_, vp))
        return float((mpmath.log(vp / vq) + (vq + (mq - mp_) ** 2) / vp - 1) / 2)


# --- agreement with independent computations ------------------------------------

def test_log_normal_matches_scipy():
    rng = np.random.default_rng(0)
    x, mean = rng.normal(0, 10, (2, 50))
    var = rng.uniform(1e-3, 1e3, 50)
    np.testing.assert_allclose(log_normal(x, mean, var),
                               stats.norm.logpdf(x, mean, np.sqrt(var)), rtol=1e-13)
    assert log_normal(0.3, 1.0, 2.0) == pytest.approx(
        stats.norm.logpdf(0.3, 1.0, np.sqrt(2.0)), rel=1e-14)


def test_log_normal_broadcasts():
    out = log_normal(np.zeros((3, 1)), np.arange(4.0), 2.0)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out[0], stats.norm.logpdf(0, np.arange(4.0), np.sqrt(2)))


@pytest.mark.parametrize("mq, vq, mp_, vp", [
    (0.0, 1.0, 1.0, 2.0), (2.0, 0.5, -1.0, 3.0), (-3.0, 4.0, 0.0, 0.25),
    (10.0, 1e-2, 9.5, 1.0), (0.0, 1.0, 0.0, 1.0)])
def test_kl_normal_matches_quadrature(mq, vq, mp_, vp):
    q, p = stats.norm(mq, np.sqrt(vq)), stats.norm(mp_, np.sqrt(vp))
    sd = np.sqrt(vq)
    value, _ = integrate.quad(lambda x: q.pdf(x) * (q.logpdf(x) - p.logpdf(x)),
                              mq - 40 * sd, mq + 40 * sd, points=[mq],
                              epsabs=1e-13, epsrel=1e-12, limit=200)
    assert kl_normal(mq, vq, mp_, vp) == pytest.approx(value, rel=1e-8, abs=1e-12)


@SETTINGS
@given(means, variances, means, variances)
def test_kl_normal_matches_kl_mvn_1x1(mq, vq, mp_, vp):
    expected = kl_mvn(np.array([mq]), np.array([[vq]]), np.array([mp_]), np.array([[vp]]))
    assert kl_normal(mq, vq, mp_, vp) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_kl_mvn_matches_monte_carlo():
    rng = np.random.default_rng(1)
    d, n = 3, 200_000
    mq, mp_ = rng.normal(0, 1, d), rng.normal(0, 1, d)
    sq, sp = random_spd(rng, d), random_spd(rng, d)
    x = rng.multivariate_normal(mq, sq, size=n)
    terms = (stats.multivariate_normal(mq, sq).logpdf(x)
             - stats.multivariate_normal(mp_, sp).logpdf(x))
    estimate, se = terms.mean(), terms.std(ddof=1) / np.sqrt(n)
    exact = kl_mvn(mq, sq, mp_, sp)
    assert abs(estimate - exact) < 5 * se, (
        f"Monte Carlo {estimate} +- {se} is more than 5 standard errors from {exact}")


def test_kl_mvn_matches_direct_inverse_formula():
    rng = np.random.default_rng(2)
    d = 5
    mq, mp_ = rng.normal(0, 2, d), rng.normal(0, 2, d)
    sq, sp = random_spd(rng, d), random_spd(rng, d)
    sp_inv, diff = np.linalg.inv(sp), mp_ - mq
    direct = 0.5 * (np.trace(sp_inv @ sq) + diff @ sp_inv @ diff - d
                    + np.log(np.linalg.det(sp)) - np.log(np.linalg.det(sq)))
    assert kl_mvn(mq, sq, mp_, sp) == pytest.approx(direct, rel=1e-10)


# --- properties -----------------------------------------------------------------

@SETTINGS
@given(means, variances, means, variances)
def test_kl_normal_nonnegative_and_zero_iff_equal(mq, vq, mp_, vp):
    assert kl_normal(mq, vq, mp_, vp) >= 0.0
    assert kl_normal(mq, vq, mq, vq) == 0.0


@SETTINGS
@given(mvn_pair())
def test_kl_mvn_nonnegative_and_zero_when_equal(pair):
    (mq, sq), (mp_, sp) = pair
    assert kl_mvn(mq, sq, mp_, sp) >= 0.0
    assert 0.0 <= kl_mvn(mq, sq, mq, sq) <= 1e-12


@SETTINGS
@given(means, variances, means, variances, means, st.floats(0.1, 10))
def test_kl_normal_affine_invariance(mq, vq, mp_, vp, shift, scale):
    base = kl_normal(mq, vq, mp_, vp)
    shifted = kl_normal(mq + shift, vq, mp_ + shift, vp)
    # x -> scale * x scales the mean difference and both standard deviations by scale.
    scaled = kl_normal(scale * mq, scale**2 * vq, scale * mp_, scale**2 * vp)
    assert shifted == pytest.approx(base, rel=1e-9, abs=1e-12)
    assert scaled == pytest.approx(base, rel=1e-9, abs=1e-12)


@SETTINGS
@given(mvn_pair(), st.integers(0, 2**32 - 1))
def test_kl_mvn_affine_invariance(pair, seed):
    (mq, sq), (mp_, sp) = pair
    d = mq.size
    rng = np.random.default_rng(seed)
    # A = Q diag(s) with Q orthogonal and s in [0.5, 2]: invertible, condition number <= 4.
    a = np.linalg.qr(rng.standard_normal((d, d)))[0] * rng.uniform(0.5, 2, d)
    b = rng.normal(0, 10, d)

    def push(s):
        t = a @ s @ a.T
        return 0.5 * (t + t.T)

    moved = kl_mvn(a @ mq + b, push(sq), a @ mp_ + b, push(sp))
    assert moved == pytest.approx(kl_mvn(mq, sq, mp_, sp), rel=1e-7, abs=1e-9)


@SETTINGS
@given(st.integers(1, 5).flatmap(lambda d: st.tuples(
    *(arrays(np.float64, d, elements=e) for e in (means, variances, means, variances)))))
def test_kl_mvn_diagonal_is_sum_of_kl_normal(args):
    mq, vq, mp_, vp = args
    expected = np.sum(kl_normal(mq, vq, mp_, vp))
    assert kl_mvn(mq, np.diag(vq), mp_, np.diag(vp)) == pytest.approx(
        expected, rel=1e-9, abs=1e-12)


def test_kl_is_not_symmetric():
    # KL(N(0,1) || N(1,4)) = (log 4 + 2/4 - 1)/2, KL(N(1,4) || N(0,1)) = (log(1/4) + 5 - 1)/2.
    forward, backward = kl_normal(0.0, 1.0, 1.0, 4.0), kl_normal(1.0, 4.0, 0.0, 1.0)
    assert forward == pytest.approx((np.log(4) - 0.5) / 2, rel=1e-14)
    assert backward == pytest.approx((4 - np.log(4)) / 2, rel=1e-14)
    assert abs(forward - backward) > 0.5
    fwd_mvn = kl_mvn(np.zeros(2), np.eye(2), np.ones(2), np.diag([4.0, 0.5]))
    bwd_mvn = kl_mvn(np.ones(2), np.diag([4.0, 0.5]), np.zeros(2), np.eye(2))
    assert abs(fwd_mvn - bwd_mvn) > 0.1


# --- accuracy near equality and at extreme ratios ---------------------------------

def test_kl_normal_near_equal_variances():
    value = kl_normal(0.0, 1 + 1e-8, 0.0, 1.0)
    # abs=0: pytest.approx's default abs=1e-12 would accept any value this small.
    assert value == pytest.approx((1e-8) ** 2 / 4, rel=1e-6, abs=0)
    # Against the series 1/2 (r - 1 - log r) = (r-1)^2/4 - (r-1)^3/6 + ... with the
    # float64 value of r - 1 (exact, by Sterbenz), so the check is much tighter.
    d = (1 + 1e-8) - 1
    assert value == pytest.approx(d**2 / 4 - d**3 / 6, rel=1e-13, abs=0)


@SETTINGS
@given(variances, st.integers(-15, -1), st.sampled_from([-1.0, 1.0]), means,
       st.floats(-1e-6, 1e-6))
def test_kl_normal_relative_accuracy(vp, exponent, sign, mp_, dm):
    vq = vp * (1 + sign * 10.0**exponent)
    expected = kl_normal_mp(mp_ + dm, vq, mp_, vp)
    assert kl_normal(mp_ + dm, vq, mp_, vp) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("vq, vp", [(1e-300, 1.0), (1.0, 1e-300), (1e-3, 1e3), (1e3, 1e-3),
                                    (0.4, 1.0), (1.02, 1.0), (1.0099, 1.0), (0.9901, 1.0)])
def test_kl_normal_extreme_and_moderate_ratios(vq, vp):
    # Equal means, so the variance term alone is checked (including both sides of
    # the |var_q/var_p - 1| = 1e-2 switch between the series and the direct formula).
    assert kl_normal(0.5, vq, 0.5, vp) == pytest.approx(
        kl_normal_mp(0.5, vq, 0.5, vp), rel=1e-13, abs=0)


@pytest.mark.parametrize("ratio", [1.02, 1.3, 0.97, 0.7, 0.55])
@pytest.mark.parametrize("vp", [1e100, 1e-100])
def test_kl_normal_moderate_ratios_of_large_and_small_variances(ratio, vp):
    # For 0.01 < |r - 1| < 0.5, log r must be log1p(d): log(var_q) - log(var_p) of two
    # numbers near 1e+-100 (logs ~ +-230) loses ~1e-11 of the small r - 1 - log r.
    assert kl_normal(0.0, ratio * vp, 0.0, vp) == pytest.approx(
        kl_normal_mp(0.0, ratio * vp, 0.0, vp), rel=1e-13, abs=0)


@pytest.mark.parametrize("vq, vp", [(1e300, 1e-300), (1e-300, 1e300), (1e-320, 1.0), (1.0, 1e-320),
                                    (1e308, 1e-308), (1e30, 1.0), (1.0, 1.0 + 1e-15)])
def test_kl_normal_extreme_ratios_raise_no_floating_point_warning(vq, vp):
    # The series and the logs are computed where they are not used (np.where evaluates both):
    # their overflows must not reach the reader as RuntimeWarnings, and the value stays right.
    with np.errstate(all="raise"):
        value = kl_normal(0.0, vq, 0.0, vp)
    assert value == pytest.approx(kl_normal_mp(0.0, vq, 0.0, vp), rel=1e-13, abs=0)


def test_kl_overflows_to_inf_for_means_too_far_apart():
    # (m_q - m_p)^2 / var_p = 4e616 exceeds the largest float: the KL is +inf, not nan or
    # an error, and the overflow raises no floating-point warning
    with np.errstate(all="raise"):
        assert kl_normal(1e308, 1.0, -1e308, 1.0) == np.inf
        assert kl_mvn(np.array([1e308, 0.0]), I2, np.array([-1e308, 0.0]), I2) == np.inf


def test_kl_normal_broadcasting_matches_loop():
    rng = np.random.default_rng(3)
    mq, vq = rng.normal(0, 1, (3, 1)), rng.uniform(0.1, 3, (3, 1))
    mp_, vp = rng.normal(0, 1, (1, 4)), rng.uniform(0.1, 3, (1, 4))
    out = kl_normal(mq, vq, mp_, vp)
    assert isinstance(out, np.ndarray) and out.shape == (3, 4) and out.dtype == np.float64
    loop = [[kl_normal(mq[i, 0], vq[i, 0], mp_[0, j], vp[0, j]) for j in range(4)]
            for i in range(3)]
    np.testing.assert_array_equal(out, loop)
    assert isinstance(kl_normal(0.0, 1.0, 1.0, 2.0), np.float64)


# --- validation -----------------------------------------------------------------

I2, M2 = np.eye(2), np.zeros(2)


@pytest.mark.parametrize("func, args, match", [
    (kl_normal, (0.0, -1.0, 0.0, 1.0), "var_q must be positive and finite, got min -1.0"),
    (kl_normal, (0.0, 1.0, 0.0, 0.0), "var_p must be positive"),
    (kl_normal, (0.0, np.inf, 0.0, 1.0), "var_q must be positive and finite"),
    (kl_normal, (0.0, 1.0, 0.0, np.nan), "var_p"),
    (kl_normal, (np.nan, 1.0, 0.0, 1.0), "mean_q must be finite"),
    (kl_normal, (0.0, 1.0, -np.inf, 1.0), "mean_p must be finite"),
    (kl_normal, (np.zeros(3), 1.0, np.zeros(4), 1.0), r"broadcast.*mean_q \(3,\).*mean_p \(4,\)"),
    (kl_normal, ("a", 1.0, 0.0, 1.0), "mean_q"),
    (log_normal, (np.nan, 0.0, 1.0), "x must be finite"),
    (log_normal, (0.0, np.inf, 1.0), "mean must be finite"),
    (log_normal, (0.0, 0.0, [1.0, -2.0]), "var must be positive and finite, got min -2.0"),
    (log_normal, (0.0, 0.0, [1.0, np.inf]), "var must be positive and finite, got inf"),
    (log_normal, (0.0, 0.0, [np.nan, 1.0]), "var must be positive and finite, got nan"),
    (log_normal, (np.zeros(2), np.zeros(3), 1.0),
     r"shapes do not broadcast together: x \(2,\), mean \(3,\), var \(\)"),
    (kl_mvn, (M2, [[1.0, 0.5], [0.0, 1.0]], M2, I2), "cov_q must be symmetric"),
    (kl_mvn, (M2, I2, M2, [[1.0, 2.0], [2.0, 1.0]]), "cov_p must be symmetric positive definite"),
    (kl_mvn, (M2, -I2, M2, I2), "cov_q must be symmetric positive definite"),
    (kl_mvn, (M2, I2, np.zeros(3), np.eye(3)), "mean_p must have shape"),
    (kl_mvn, (M2, np.eye(3), M2, I2), "cov_q must have shape"),
    (kl_mvn, (M2, I2, M2, np.ones(2)), "cov_p must have shape"),
    (kl_mvn, (np.zeros((2, 1)), I2, M2, I2), "mean_q must be a non-empty 1-D"),
    (kl_mvn, (M2, I2, [0.0, np.nan], I2), "mean_p must be finite"),
    (kl_mvn, (M2, [[1.0, np.inf], [np.inf, 1.0]], M2, I2), "cov_q must be finite"),
])
def test_bad_input_raises_value_error(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


def test_symmetry_tolerance_is_relative():
    nearly = np.array([[1.0, 0.3], [0.3 + 1e-13, 1.0]]) * 1e6  # asymmetry 1e-13 relative
    assert kl_mvn(M2, nearly, M2, 1e6 * I2) >= 0.0
    with pytest.raises(ValueError, match="cov_q must be symmetric"):
        kl_mvn(M2, np.array([[1.0, 0.3], [0.3 + 1e-8, 1.0]]) * 1e6, M2, 1e6 * I2)


def test_log_normal_expr_matches_log_normal():
    x, m = sp.symbols("x m", real=True)
    v = sp.Symbol("v", positive=True)
    expr = sp.lambdify((x, m, v), log_normal_expr(x, m, v))
    for args in [(0.3, -1.0, 2.0), (5.0, 4.0, 0.01)]:
        assert expr(*args) == pytest.approx(float(log_normal(*args)), rel=1e-14)


def test_standard_normal_rule_2d_integrates_moments_exactly():
    points, weights = standard_normal_rule_2d(6)
    assert points.shape == (36, 2) and weights.sum() == pytest.approx(1, rel=1e-14)
    # E[e1^2] = 1, E[e1^2 e2^4] = 3, E[e1 e2] = 0 under N(0, I_2)
    assert weights @ points[:, 0] ** 2 == pytest.approx(1, rel=1e-13)
    assert weights @ (points[:, 0] ** 2 * points[:, 1] ** 4) == pytest.approx(3, rel=1e-12)
    assert weights @ (points[:, 0] * points[:, 1]) == pytest.approx(0, abs=1e-14)
    with pytest.raises(ValueError, match="nodes must be a positive integer"):
        standard_normal_rule_2d(0)


@pytest.mark.parametrize("d, nodes", [(1, 5), (2, 4), (3, 3)])
def test_standard_normal_rule_moments_in_each_dimension(d, nodes):
    # Under N(0, I_d): total mass 1, E[e_1^2] = 1, E[e_1^4] = 3, E[e_1^2 e_d^2] = 1 (d > 1);
    # Gauss-Hermite with n nodes is exact up to degree 2n - 1 in each coordinate.
    points, weights = standard_normal_rule(nodes, d)
    assert points.shape == (nodes**d, d) and weights.shape == (nodes**d,)
    assert weights.sum() == pytest.approx(1, rel=1e-13)
    assert weights @ points[:, 0] ** 2 == pytest.approx(1, rel=1e-13)
    assert weights @ points[:, 0] ** 4 == pytest.approx(3, rel=1e-12)
    if d > 1:
        assert weights @ (points[:, 0] ** 2 * points[:, -1] ** 2) == pytest.approx(1, rel=1e-12)
