"""helpers.models against independent computations (scipy densities, quadrature)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from helpers.models import ConjugateGaussian, DiscreteLatent

MODEL = ConjugateGaussian(prior_mean=0.5, prior_var=2.0, noise_var=0.7)
X = 1.8


def quad(f):
    value, _ = integrate.quad(f, -40, 40, epsabs=1e-13, epsrel=1e-12, limit=200)
    return value


def joint(z, x=X, model=MODEL):
    return np.exp(model.log_joint(x, z))


def test_log_evidence_matches_scipy_and_quadrature():
    expected = stats.norm.logpdf(X, MODEL.prior_mean, np.sqrt(MODEL.prior_var + MODEL.noise_var))
    assert MODEL.log_evidence(X) == pytest.approx(expected, rel=1e-13)
    assert np.exp(MODEL.log_evidence(X)) == pytest.approx(quad(joint), rel=1e-10)


def test_posterior_matches_quadrature():
    evidence = quad(joint)
    mean = quad(lambda z: z * joint(z)) / evidence
    var = quad(lambda z: (z - mean) ** 2 * joint(z)) / evidence
    assert MODEL.posterior(X) == pytest.approx((mean, var), rel=1e-9)


def test_elbo_matches_quadrature():
    q_mean, q_var = -0.3, 0.4
    q = stats.norm(q_mean, np.sqrt(q_var))
    expected = quad(lambda z: q.pdf(z) * (MODEL.log_joint(X, z) - q.logpdf(z)))
    assert MODEL.elbo(X, q_mean, q_var) == pytest.approx(expected, rel=1e-10)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(x=st.floats(-20, 20), q_mean=st.floats(-20, 20), q_var=st.floats(1e-3, 1e2),
       prior_var=st.floats(1e-2, 1e2), noise_var=st.floats(1e-2, 1e2))
def test_evidence_is_elbo_plus_kl(x, q_mean, q_var, prior_var, noise_var):
    model = ConjugateGaussian(0.0, prior_var, noise_var)
    elbo, kl = model.elbo(x, q_mean, q_var), model.kl_to_posterior(x, q_mean, q_var)
    assert kl >= 0
    assert elbo + kl == pytest.approx(model.log_evidence(x), rel=1e-10, abs=1e-10)


def test_elbo_at_the_posterior_is_the_evidence():
    mean, var = MODEL.posterior(X)
    assert MODEL.elbo(X, mean, var) == pytest.approx(MODEL.log_evidence(X), rel=1e-14)


def test_elbo_broadcasts_over_a_grid():
    means, variances = np.meshgrid(np.linspace(-1, 2, 4), np.geomspace(0.1, 3, 5))
    grid = MODEL.elbo(X, means, variances)
    assert grid.shape == (5, 4)
    assert grid[2, 3] == pytest.approx(MODEL.elbo(X, means[2, 3], variances[2, 3]), rel=1e-15)


@pytest.mark.parametrize("q_mean, q_var", [(0.0, 2.0), (1.5, 0.5), (-1.0, 3.0)])
def test_weight_relative_variance_matches_quadrature(q_mean, q_var):
    post_mean, post_var = MODEL.posterior(X)
    post, q = stats.norm(post_mean, np.sqrt(post_var)), stats.norm(q_mean, np.sqrt(q_var))
    expected = quad(lambda z: np.exp(2 * post.logpdf(z) - q.logpdf(z))) - 1
    assert MODEL.weight_relative_variance(X, q_mean, q_var) == pytest.approx(expected, rel=1e-8)


def test_weight_relative_variance_edge_cases():
    post_mean, post_var = MODEL.posterior(X)
    assert MODEL.weight_relative_variance(X, post_mean, post_var) == pytest.approx(0, abs=1e-15)
    assert MODEL.weight_relative_variance(X, post_mean, post_var / 2) == np.inf


@pytest.mark.parametrize("call, message", [
    (lambda: ConjugateGaussian(0.0, -1.0, 1.0), "prior_var"),
    (lambda: ConjugateGaussian(0.0, 1.0, 0.0), "noise_var"),
    (lambda: ConjugateGaussian(np.nan, 1.0, 1.0), "prior_mean"),
    (lambda: MODEL.elbo(X, 0.0, -0.1), "q_var"),
    (lambda: MODEL.elbo(np.inf, 0.0, 1.0), "x"),
    (lambda: MODEL.log_evidence([1.0, np.nan]), "x"),
])
def test_conjugate_gaussian_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- DiscreteLatent ------------------------------------------------------------

DISCRETE = DiscreteLatent(prior=[0.2, 0.5, 0.3],
                          likelihood=[[0.1, 0.9], [0.6, 0.4], [0.5, 0.5]])


def test_discrete_evidence_and_posterior_by_brute_force():
    joint_column = np.array([0.2 * 0.9, 0.5 * 0.4, 0.3 * 0.5])
    assert DISCRETE.log_evidence(1) == pytest.approx(np.log(joint_column.sum()), rel=1e-15)
    np.testing.assert_allclose(DISCRETE.posterior(1), joint_column / joint_column.sum(),
                               rtol=1e-15)


def test_discrete_elbo_is_below_the_evidence_and_equal_at_the_posterior():
    rng = np.random.default_rng(0)
    for q in rng.dirichlet(np.ones(3), size=200):
        assert DISCRETE.elbo(0, q) <= DISCRETE.log_evidence(0)
    assert DISCRETE.elbo(0, DISCRETE.posterior(0)) == pytest.approx(DISCRETE.log_evidence(0),
                                                                    rel=1e-15)


def test_discrete_elbo_with_zero_probabilities():
    model = DiscreteLatent(prior=[0.5, 0.5], likelihood=[[1.0, 0.0], [0.5, 0.5]])
    assert model.elbo(1, [0.0, 1.0]) == pytest.approx(np.log(0.25), rel=1e-15)
    assert model.elbo(1, [0.5, 0.5]) == -np.inf   # q puts mass where p(x, z) = 0


@pytest.mark.parametrize("call, message", [
    (lambda: DiscreteLatent([0.5, 0.6], [[1.0], [1.0]]), "prior must sum to 1"),
    (lambda: DiscreteLatent([0.5, 0.5], [[0.5, 0.5]]), "shape"),
    (lambda: DiscreteLatent([0.5, 0.5], [[0.5, 0.5], [0.2, 0.2]]), "likelihood row 1"),
    (lambda: DISCRETE.log_evidence(2), "x must be an integer"),
    (lambda: DISCRETE.elbo(0, [0.5, 0.5]), "q must have K = 3"),
    (lambda: DISCRETE.elbo(0, [0.5, 0.4, 0.2]), "sum to 1"),
    (lambda: DISCRETE.elbo(0, [-0.5, 1.0, 0.5]), "non-negative"),
])
def test_discrete_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sample_prior_draws_from_the_prior():
    model = ConjugateGaussian(prior_mean=0.7, prior_var=2.5, noise_var=0.5)
    draws = model.sample_prior(np.random.default_rng(9), 200_000)
    se = np.sqrt(2.5 / draws.size)
    assert abs(draws.mean() - 0.7) < 5 * se
    assert abs(draws.var() - 2.5) < 5 * 2.5 * np.sqrt(2 / draws.size)
    assert model.sample_prior(np.random.default_rng(9), (3, 4)).shape == (3, 4)


def test_posterior_variance_has_the_shape_of_the_mean():
    model = ConjugateGaussian(prior_mean=0.0, prior_var=1.0, noise_var=1.0)
    mean, var = model.posterior(np.array([0.1, 0.5, 2.0]))
    assert mean.shape == var.shape == (3,) and np.allclose(var, 0.5)


def test_discrete_elbo_is_minus_infinity_where_q_puts_mass_on_an_impossible_state():
    model = DiscreteLatent(prior=[0.5, 0.5], likelihood=[[1.0, 0.0], [0.5, 0.5]])
    assert model.elbo(1, [0.5, 0.5]) == -np.inf
    assert np.isfinite(model.elbo(1, [0.0, 1.0]))
