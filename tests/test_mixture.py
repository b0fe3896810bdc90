"""helpers.mixture against independent computations (scipy densities, brute force, sklearn)."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from helpers.mixture import (
    MixtureParams,
    elbo,
    em,
    hard_assignments,
    log_density,
    log_joint,
    log_likelihood,
    m_step,
    responsibilities,
)

RNG = np.random.default_rng(7)
X1 = np.concatenate([RNG.normal(-2, 0.6, 40), RNG.normal(1, 1.0, 60)])
THETA1 = MixtureParams(np.array([0.3, 0.7]), np.array([-1.5, 0.5]), np.array([0.5, 2.0]))
X2 = np.concatenate([RNG.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], 50),
                     RNG.multivariate_normal([3, 1], [[0.5, -0.2], [-0.2, 0.8]], 70)])
THETA2 = MixtureParams(np.array([0.5, 0.5]), np.array([[0.5, 0.0], [2.0, 2.0]]),
                       np.array([np.eye(2), [[2.0, 0.3], [0.3, 1.0]]]))


def brute_joint_1d(x, theta):
    w, m, v = theta
    return np.array([[wk * stats.norm.pdf(xn, mk, np.sqrt(vk)) for wk, mk, vk in zip(w, m, v)]
                     for xn in x])


def brute_joint_2d(X, theta):
    w, m, c = theta
    return np.column_stack([wk * stats.multivariate_normal(mk, ck).pdf(X)
                            for wk, mk, ck in zip(w, m, c)])


def random_q(rng, N, K):
    return rng.dirichlet(np.ones(K), size=N)


# ---- the model ----------------------------------------------------------------------

def test_log_joint_matches_scipy_in_1d_and_2d():
    np.testing.assert_allclose(np.exp(log_joint(X1, *THETA1)), brute_joint_1d(X1, THETA1),
                               rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_joint(X2, *THETA2)), brute_joint_2d(X2, THETA2),
                               rtol=1e-12)


def test_1d_data_is_the_same_as_one_column():
    as_column = (THETA1.weights, THETA1.means[:, None], THETA1.covs[:, None, None])
    np.testing.assert_allclose(log_joint(X1, *THETA1), log_joint(X1[:, None], *as_column),
                               rtol=1e-14)


def test_log_likelihood_is_the_sum_of_log_densities():
    expected = np.sum(np.log(brute_joint_2d(X2, THETA2).sum(axis=1)))
    assert log_likelihood(X2, *THETA2) == pytest.approx(expected, rel=1e-12)
    assert log_density(X1, *THETA1) == pytest.approx(
        np.log(brute_joint_1d(X1, THETA1).sum(axis=1)), rel=1e-12)


def test_a_point_far_out_does_not_underflow():
    x = np.array([0.0, 80.0])        # N(80; 0, 1) underflows to 0 in linear space
    theta = MixtureParams(np.array([0.5, 0.5]), np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    q = responsibilities(x, *theta)
    assert np.all(np.isfinite(q)) and q[1, 1] == pytest.approx(1.0)
    assert log_density(x, *theta)[1] == pytest.approx(
        np.logaddexp(stats.norm.logpdf(80, 0, 1), stats.norm.logpdf(80, 1, 1)) + np.log(0.5),
        rel=1e-13)


# ---- E-step -----------------------------------------------------------------------------

def test_responsibilities_are_the_posterior():
    for X, theta, brute in ((X1, THETA1, brute_joint_1d), (X2, THETA2, brute_joint_2d)):
        joint = brute(X, theta)
        np.testing.assert_allclose(responsibilities(X, *theta),
                                   joint / joint.sum(axis=1, keepdims=True), rtol=1e-11)


def test_elbo_at_the_posterior_is_the_log_likelihood():
    for X, theta in ((X1, THETA1), (X2, THETA2)):
        q = responsibilities(X, *theta)
        assert elbo(X, q, theta) == pytest.approx(log_likelihood(X, *theta), rel=1e-13)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), concentration=st.sampled_from([0.05, 1.0, 20.0]))
def test_gap_is_the_sum_of_kl_divergences(seed, concentration):
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.full(2, concentration), size=X1.size)
    post = responsibilities(X1, *THETA1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.sum(np.where(q > 0, q * np.log(q / post), 0.0))
    gap = log_likelihood(X1, *THETA1) - elbo(X1, q, THETA1)
    assert gap == pytest.approx(kl, rel=1e-9, abs=1e-9)
    assert gap >= -1e-9


def test_hard_assignments_are_the_best_one_hot_q():
    X, theta = X1[[0, 10, 45, 90]], THETA1
    best = elbo(X, hard_assignments(X, *theta), theta)
    values = []
    for labels in itertools.product(range(2), repeat=X.size):
        q = np.eye(2)[list(labels)]
        values.append(elbo(X, q, theta))
    assert best == pytest.approx(max(values), rel=1e-14)
    q = hard_assignments(X1, *theta)
    assert set(np.unique(q)) == {0.0, 1.0} and np.all(q.sum(axis=1) == 1)
    np.testing.assert_array_equal(q.argmax(axis=1), responsibilities(X1, *theta).argmax(axis=1))


# ---- M-step -----------------------------------------------------------------------------

def test_m_step_matches_weighted_moments():
    q = random_q(np.random.default_rng(1), X2.shape[0], 2)
    theta = m_step(X2, q)
    assert theta.weights == pytest.approx(q.mean(axis=0), rel=1e-14)
    for k in range(2):
        mean = np.average(X2, axis=0, weights=q[:, k])
        cov = np.cov(X2.T, aweights=q[:, k], bias=True)
        np.testing.assert_allclose(theta.means[k], mean, rtol=1e-12)
        np.testing.assert_allclose(theta.covs[k], cov, rtol=1e-12)
    theta1 = m_step(X1, random_q(np.random.default_rng(2), X1.size, 3))
    assert theta1.means.shape == (3,) and theta1.covs.shape == (3,)


def expected_log_joint(X, q, theta):
    return float(np.sum(q * log_joint(X, *theta)))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1.0))
def test_m_step_beats_every_perturbation(seed, scale):
    rng = np.random.default_rng(seed)
    q = random_q(rng, X2.shape[0], 2)
    best = m_step(X2, q)
    weights = best.weights * np.exp(scale * rng.standard_normal(2))
    A = np.eye(2) + scale * rng.standard_normal((2, 2, 2))
    other = MixtureParams(weights / weights.sum(),
                          best.means + scale * rng.standard_normal((2, 2)),
                          A @ best.covs @ A.transpose(0, 2, 1))
    assert expected_log_joint(X2, q, best) >= expected_log_joint(X2, q, other)


def test_m_step_gain_is_a_sum_of_kl_divergences():
    # Q(theta') - Q(theta) = N KL(pi' || pi) + sum_k N_k KL(N(mean'_k, var'_k) || N(mu_k, v_k))
    q = random_q(np.random.default_rng(3), X1.size, 2)
    new = m_step(X1, q)
    gain = expected_log_joint(X1, q, new) - expected_log_joint(X1, q, THETA1)
    counts = q.sum(axis=0)
    kl_normal = [stats.norm(new.means[k], np.sqrt(new.covs[k])).expect(
        lambda x, k=k: stats.norm.logpdf(x, new.means[k], np.sqrt(new.covs[k]))
        - stats.norm.logpdf(x, THETA1.means[k], np.sqrt(THETA1.covs[k]))) for k in range(2)]
    expected = (X1.size * np.sum(new.weights * np.log(new.weights / THETA1.weights))
                + np.sum(counts * np.array(kl_normal)))
    assert gain == pytest.approx(expected, rel=1e-8)


# ---- the algorithm ---------------------------------------------------------------------

def test_em_history_and_monotonicity():
    history = em(X1, THETA1, 25)
    assert history.n_iter == 25 and len(history.params) == 26
    assert history.q.shape == (25, X1.size, 2)
    ll = history.log_likelihood
    np.testing.assert_allclose(history.elbo_e, ll[:-1], rtol=1e-13)
    assert np.all(history.elbo_m >= history.elbo_e - 1e-9)
    assert np.all(ll[1:] >= history.elbo_m - 1e-9)
    assert np.all(np.diff(ll) >= -1e-9)
    log_lik, bound = history.half_steps()
    assert log_lik.shape == bound.shape == (50,)
    assert log_lik[2] == ll[1] and log_lik[3] == ll[2]
    assert bound[2] == history.elbo_e[1] and bound[3] == history.elbo_m[1]
    assert log_likelihood(X1, *history.params[7]) == ll[7]


@pytest.mark.parametrize("X, theta", [(X1, THETA1), (X2, THETA2)], ids=["1d", "2d"])
def test_em_agrees_with_sklearn(X, theta):
    T = 30
    X_2d = X[:, None] if X.ndim == 1 else X
    d = X_2d.shape[1]
    means, covs = np.reshape(theta.means, (-1, d)), np.reshape(theta.covs, (-1, d, d))
    model = GaussianMixture(2, covariance_type="full", weights_init=theta.weights,
                            means_init=means, precisions_init=np.linalg.inv(covs),
                            reg_covar=0.0, tol=0.0, max_iter=T, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_2d)
    history = em(X, theta, T)
    final = history.params[-1]
    np.testing.assert_allclose(model.weights_, final.weights, rtol=1e-10)
    np.testing.assert_allclose(model.means_, np.reshape(final.means, (-1, d)), rtol=1e-10)
    np.testing.assert_allclose(model.covariances_, np.reshape(final.covs, (-1, d, d)),
                               rtol=1e-10)
    assert model.score(X_2d) * len(X) == pytest.approx(history.log_likelihood[-1], rel=1e-12)


def test_hard_em_climbs_the_elbo_but_leaves_a_gap():
    history = em(X1, THETA1, 15, e_step=hard_assignments)
    _, bound = history.half_steps()
    assert np.all(np.diff(bound) >= -1e-9)
    gap = history.log_likelihood[:-1] - history.elbo_e
    post = [responsibilities(X1, *p) for p in history.params[:-1]]
    expected = [-np.sum(np.log(np.max(r, axis=1))) for r in post]
    np.testing.assert_allclose(gap, expected, rtol=1e-9)
    assert np.all(gap > 0)


# ---- invalid input ---------------------------------------------------------------------

W, M, V = THETA1


@pytest.mark.parametrize("call, message", [
    (lambda: log_joint(np.zeros((2, 2, 2)), W, M, V), "X must have shape"),
    (lambda: log_joint(np.zeros(0), W, M, V), "X must have shape"),
    (lambda: log_joint([0.0, np.nan], W, M, V), "X must be finite"),
    (lambda: log_joint(["a"], W, M, V), "X must be real numbers"),
    (lambda: log_joint(X1, [[0.5, 0.5]], M, V), "weights must be a non-empty 1-D"),
    (lambda: log_joint(X1, [1.2, -0.2], M, V), "weights must be positive"),
    (lambda: log_joint(X1, [1.0, 0.0], M, V), "weights must be positive"),
    (lambda: log_joint(X1, [0.5, 0.6], M, V), "weights must sum to 1"),
    (lambda: log_joint(X1, W, [0.0, 1.0, 2.0], V), r"means must have shape \(2,\)"),
    (lambda: log_joint(X1, W, M, [[1.0], [1.0]]), r"covs must have shape \(2,\)"),
    (lambda: log_joint(X1, W, M, [1.0, 0.0]), "covs must be positive variances"),
    (lambda: log_joint(X2, W, np.zeros(2), THETA2.covs), r"means must have shape \(2, 2\)"),
    (lambda: log_joint(X2, W, THETA2.means, np.ones(2)), r"covs must have shape \(2, 2, 2\)"),
    (lambda: log_joint(X2, W, THETA2.means, [np.eye(2), [[1, 0.5], [0, 1]]]),
     "covs must be symmetric"),
    (lambda: log_joint(X2, W, THETA2.means, [np.eye(2), [[1, 2], [2, 1]]]),
     "covs must be positive definite"),
    (lambda: elbo(X1, np.ones((3, 2)) / 2, THETA1), r"q must have shape \(N, K\)"),
    (lambda: elbo(X1, np.tile([1.5, -0.5], (X1.size, 1)), THETA1), "q must be non-negative"),
    (lambda: elbo(X1, np.full((X1.size, 2), 0.4), THETA1), "each row of q must sum to 1"),
    (lambda: elbo(X1, np.full((X1.size, 2), 0.5), (W, M)), r"params must be \(weights"),
    (lambda: m_step(X1, np.ones(X1.size)), r"q must have shape \(N, K\)"),
    (lambda: m_step(X1, np.tile([1.0, 0.0], (X1.size, 1))), "component 1 has none"),
    (lambda: m_step(X1, np.eye(2)[[0] + [1] * (X1.size - 1)]), "singular covariance"),
    (lambda: em(X1, THETA1, 0), "n_iter must be a positive integer"),
    (lambda: em(X1, THETA1, 2.0), "n_iter must be a positive integer"),
    (lambda: em(X1, THETA1, True), "n_iter must be a positive integer"),
    (lambda: em(X1, THETA1, 3, e_step="hard"), "e_step must be a function"),
    (lambda: em(X1, (W, M), 3), r"init must be \(weights"),
])
def test_invalid_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- edge cases: one point, one component, one iteration, scale -------------------------

def test_a_single_point_and_a_single_component():
    """N = 1 is valid data, K = 1 a valid mixture: log N(x; m, v) from scipy, and the
    M-step of one component is the plain sample mean and (biased) variance; so is that of
    components with q constant over the points, however light."""
    theta = MixtureParams(np.array([1.0]), np.array([0.3]), np.array([2.0]))
    assert log_likelihood(np.array([1.1]), *theta) == pytest.approx(
        stats.norm.logpdf(1.1, 0.3, np.sqrt(2.0)), rel=1e-14)
    assert log_likelihood(np.array([[1.1]]), [1.0], [[0.3]], [[[2.0]]]) == pytest.approx(
        stats.norm.logpdf(1.1, 0.3, np.sqrt(2.0)), rel=1e-14)
    one = m_step(X1, np.ones((X1.size, 1)))
    assert one.weights == pytest.approx([1.0], rel=1e-15)
    assert one.means == pytest.approx([X1.mean()], rel=1e-13)
    assert one.covs == pytest.approx([X1.var()], rel=1e-12)
    # a component with total weight N_k = 0.5 < 1, spread evenly: the same mean and variance
    light = m_step(X1, np.tile([0.995, 0.005], (X1.size, 1)))
    np.testing.assert_allclose(light.weights, [0.995, 0.005], rtol=1e-13)
    np.testing.assert_allclose(light.means, [X1.mean()] * 2, rtol=1e-12)
    np.testing.assert_allclose(light.covs, [X1.var()] * 2, rtol=1e-12)


def test_m_step_is_scale_equivariant():
    """Data scaled by c: the means scale by c and the covariances by c^2 (exactly, up to
    rounding), even for c = 1e-6 where the covariances are ~1e-12 (not singular)."""
    q = random_q(np.random.default_rng(4), X2.shape[0], 2)
    base = m_step(X2, q)
    for c in (1e-6, 1e5):
        scaled = m_step(c * X2, q)
        np.testing.assert_allclose(scaled.weights, base.weights, rtol=1e-14)
        np.testing.assert_allclose(scaled.means, c * base.means, rtol=1e-12)
        np.testing.assert_allclose(scaled.covs, c**2 * base.covs, rtol=1e-12)


def test_m_step_detects_a_singular_covariance_in_2d():
    """Weight on points on a line (exactly, or up to 1e-8): the covariance has rank 1,
    its smallest eigenvalue ~1e-16 of its trace, and the M-step must refuse it."""
    line = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0 + 1e-8], [3.0, 3.0]])
    X = np.vstack([line, X2[:10]])
    q = np.zeros((X.shape[0], 2))
    q[:4, 0], q[4:, 1] = 1.0, 1.0
    with pytest.raises(ValueError, match="component 0 with a singular covariance"):
        m_step(X, q)
    q[:] = 0.5                               # component 0 now has 14 points: regular
    assert np.all(np.linalg.eigvalsh(m_step(X, q).covs)[:, 0] > 1e-3)


def test_symmetry_is_judged_against_each_matrix_own_scale():
    """An asymmetry of 1e-9 in a unit-scale matrix is rejected even when another component's
    covariance is 100 times larger, and accepted in that larger matrix; a zero matrix is
    reported as not positive definite."""
    skew = np.array([[1.0, 0.5 + 1e-9], [0.5, 1.0]])
    with pytest.raises(ValueError, match="covs must be symmetric"):
        log_joint(X2, THETA2.weights, THETA2.means, [100 * np.eye(2), skew])
    with pytest.raises(ValueError, match="covs must be positive definite"):
        log_joint(X2, THETA2.weights, THETA2.means, [np.eye(2), np.zeros((2, 2))])
    # the same 1e-9 is only 1e-11 of a matrix of scale 100: accepted (its lower triangle used)
    big = 100 * np.eye(2) + np.array([[0.0, 1e-9], [0.0, 0.0]])
    np.testing.assert_allclose(log_joint(X2, THETA2.weights, THETA2.means, [big, np.eye(2)]),
                               np.log(brute_joint_2d(X2, (THETA2.weights, THETA2.means,
                                                          [100 * np.eye(2), np.eye(2)]))),
                               rtol=1e-12)


def test_one_iteration_of_em_and_integer_init():
    """n_iter = 1 is allowed; an integer init is stored as float64 arrays (params[0])."""
    history = em(X1, ([0.5, 0.5], [-1, 1], [1, 2]), 1)
    assert history.n_iter == 1 and history.q.shape == (1, X1.size, 2)
    assert all(np.asarray(a).dtype == np.float64 for a in history.params[0])
    np.testing.assert_array_equal(history.params[0].means, [-1.0, 1.0])
    expected = m_step(X1, responsibilities(X1, [0.5, 0.5], [-1.0, 1.0], [1.0, 2.0]))
    np.testing.assert_allclose(history.params[1].means, expected.means, rtol=1e-14)
