"""helpers.vae (pPCA and the linear VAE) against independent computations."""

import numpy as np
import pytest
from scipy import optimize, stats

from helpers.vae import (fit_linear_vae, fit_ppca, linear_beta_optimum, linear_vae_elbo,
                         ppca_log_likelihood, ppca_ml, ppca_posterior)

RNG = np.random.default_rng(1999)
D, K = 6, 2
W = RNG.normal(size=(D, K))
MU = RNG.normal(size=D)
NOISE = 0.3
X = RNG.normal(size=(7, D)) * 1.5


def data(n=1500, seed=0):
    """Gaussian data in D = 6 dimensions with well separated variances."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.normal(size=(D, D)))
    variances = np.array([5.0, 2.0, 1.0, 0.4, 0.2, 0.1])
    return 0.5 + (rng.standard_normal((n, D)) * np.sqrt(variances)) @ rotation.T


def sample_eigenvalues(x):
    return np.linalg.eigvalsh(np.cov(x.T, bias=True))[::-1]


# ---- exact quantities ----------------------------------------------------------

def test_log_likelihood_matches_scipy():
    expected = stats.multivariate_normal(MU, W @ W.T + NOISE * np.eye(D)).logpdf(X)
    assert ppca_log_likelihood(X, W, MU, NOISE) == pytest.approx(expected, rel=1e-12)
    single = ppca_log_likelihood(X[0], W, MU, NOISE)
    assert isinstance(single, float) and single == pytest.approx(expected[0], rel=1e-12)


def test_posterior_is_the_gaussian_conditional():
    means, cov = ppca_posterior(X, W, MU, NOISE)
    C = W @ W.T + NOISE * np.eye(D)
    gain = W.T @ np.linalg.inv(C)                    # Cov(z, x) Cov(x)^-1
    np.testing.assert_allclose(means, (X - MU) @ gain.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov, np.eye(K) - gain @ W, rtol=1e-10, atol=1e-12)
    assert ppca_posterior(X[0], W, MU, NOISE)[0].shape == (K,)


def test_elbo_matches_monte_carlo():
    """z = 4 standard errors, seed fixed: fails with probability ~6e-5 if wrong."""
    rng = np.random.default_rng(7)
    V = 0.4 * rng.normal(size=(K, D))
    S = np.array([[0.5, 0.2], [0.2, 0.8]])           # a full covariance
    x = X[1]
    q = stats.multivariate_normal(V @ (x - MU), S)
    z = q.rvs(size=50_000, random_state=rng)
    terms = (stats.multivariate_normal(np.zeros(K), np.eye(K)).logpdf(z)
             + stats.multivariate_normal(np.zeros(D), NOISE * np.eye(D)).logpdf(
                 x - MU - z @ W.T)
             - q.logpdf(z))
    exact = linear_vae_elbo(x, W, MU, NOISE, V, S)
    assert abs(terms.mean() - exact) <= 4 * terms.std(ddof=1) / np.sqrt(terms.size)


def test_elbo_is_the_evidence_at_the_exact_posterior():
    M = W.T @ W + NOISE * np.eye(K)
    elbo = linear_vae_elbo(X, W, MU, NOISE, np.linalg.solve(M, W.T), NOISE * np.linalg.inv(M))
    np.testing.assert_allclose(elbo, ppca_log_likelihood(X, W, MU, NOISE), rtol=1e-12)


def test_elbo_is_below_the_evidence_for_random_encoders():
    evidence = ppca_log_likelihood(X, W, MU, NOISE)
    rng = np.random.default_rng(3)
    for _ in range(50):
        V, S = rng.normal(size=(K, D)), rng.uniform(0.05, 3, size=K)
        assert np.all(linear_vae_elbo(X, W, MU, NOISE, V, S) < evidence)


def test_best_diagonal_encoder_gap():
    M = W.T @ W + NOISE * np.eye(K)
    gap = 0.5 * (np.sum(np.log(np.diag(M))) - np.linalg.slogdet(M)[1])
    elbo = linear_vae_elbo(X, W, MU, NOISE, np.linalg.solve(M, W.T), NOISE / np.diag(M))
    np.testing.assert_allclose(ppca_log_likelihood(X, W, MU, NOISE) - elbo, gap, rtol=1e-10)
    orthogonal = np.linalg.qr(W)[0] * [2.0, 0.5]      # orthogonal columns: no gap
    Mo = orthogonal.T @ orthogonal + NOISE * np.eye(K)
    elbo_o = linear_vae_elbo(X, orthogonal, MU, NOISE, np.linalg.solve(Mo, orthogonal.T),
                             NOISE / np.diag(Mo))
    np.testing.assert_allclose(elbo_o, ppca_log_likelihood(X, orthogonal, MU, NOISE),
                               rtol=1e-12)


# ---- maximum likelihood ------------------------------------------------------------

def test_ml_solution_matches_a_numerical_optimiser():
    """BFGS with finite-difference gradients on the exact log-likelihood (no autograd)."""
    x = data(n=600, seed=1)
    W_ml, mu_ml, noise_ml = ppca_ml(x, K)
    best = ppca_log_likelihood(x, W_ml, mu_ml, noise_ml).mean()

    def negative(params):
        return -ppca_log_likelihood(x, params[:D * K].reshape(D, K), x.mean(axis=0),
                                    np.exp(params[-1])).mean()

    start = np.concatenate([0.1 * np.random.default_rng(2).normal(size=D * K), [0.0]])
    result = optimize.minimize(negative, start, method="BFGS", options={"gtol": 1e-9})
    assert -result.fun == pytest.approx(best, abs=1e-8)
    assert -result.fun <= best + 1e-10
    W_num = result.x[:D * K].reshape(D, K)
    np.testing.assert_allclose(W_num @ W_num.T, W_ml @ W_ml.T, atol=1e-4)
    assert np.exp(result.x[-1]) == pytest.approx(noise_ml, rel=1e-4)


def test_ml_solution_closed_form_properties():
    x = data()
    lam = sample_eigenvalues(x)
    W_ml, mu_ml, noise_ml = ppca_ml(x, 3)
    assert noise_ml == pytest.approx(lam[3:].mean(), rel=1e-12)
    np.testing.assert_allclose(mu_ml, x.mean(axis=0), rtol=1e-14)
    model_cov = np.linalg.eigvalsh(W_ml @ W_ml.T + noise_ml * np.eye(D))[::-1]
    np.testing.assert_allclose(model_cov[:3], lam[:3], rtol=1e-10)
    np.testing.assert_allclose(model_cov[3:], noise_ml, rtol=1e-10)
    gram = W_ml.T @ W_ml
    np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-12)


def test_numerical_fits_reach_the_ml_solution():
    x = data()
    W_ml, mu_ml, noise_ml = ppca_ml(x, 2)
    best = ppca_log_likelihood(x, W_ml, mu_ml, noise_ml).mean()
    vae = fit_linear_vae(x, 2, seed=5)
    assert vae.objective == pytest.approx(best, abs=1e-9)
    np.testing.assert_allclose(vae.W @ vae.W.T, W_ml @ W_ml.T, atol=1e-6)
    assert vae.noise_var == pytest.approx(noise_ml, rel=1e-7)
    # the reported objective is the mean of the per-row ELBO at the fitted encoder
    rows = linear_vae_elbo(x, vae.W, vae.mu, vae.noise_var, vae.V, vae.enc_var)
    assert rows.mean() == pytest.approx(vae.objective, rel=1e-12)
    W_num, _, noise_num, loglik = fit_ppca(x, 2, seed=6)
    assert loglik == pytest.approx(best, abs=1e-10)
    assert noise_num == pytest.approx(noise_ml, rel=1e-7)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_beta_vae_optimum_matches_a_fit(beta):
    x, noise = data(), 0.5
    lam = sample_eigenvalues(x)
    fit = fit_linear_vae(x, 4, beta=beta, noise_var=noise, seed=8)
    w_sq, enc_var, rate = linear_beta_optimum(lam[:4], noise, beta)
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(fit.W.T @ fit.W))[::-1], w_sq,
                               atol=1e-5)
    np.testing.assert_allclose(np.sort(fit.enc_var), np.sort(enc_var), atol=1e-5)
    m = (x - fit.mu) @ fit.V.T
    kl = 0.5 * (fit.enc_var.sum() + np.mean(np.sum(m**2, 1)) - 4 - np.log(fit.enc_var).sum())
    assert kl == pytest.approx(rate.sum(), abs=1e-5)


def test_beta_optimum_collapses_below_the_water_level():
    w_sq, enc_var, rate = linear_beta_optimum([4.0, 1.0, 0.25], 0.5, 1.0)
    np.testing.assert_allclose(w_sq, [3.5, 0.5, 0.0])
    np.testing.assert_allclose(enc_var, [0.125, 0.5, 1.0])
    np.testing.assert_allclose(rate, [0.5 * np.log(8), 0.5 * np.log(2), 0.0])
    W_fixed, *_ = fit_ppca(data(), 4, noise_var=0.5, seed=9)   # exact likelihood, fixed noise
    lam = sample_eigenvalues(data())[:4]
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(W_fixed.T @ W_fixed))[::-1],
                               np.maximum(lam - 0.5, 0), atol=1e-6)


# ---- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: ppca_log_likelihood(X, W, MU, 0.0), "noise_var"),
    (lambda: ppca_log_likelihood(X, W, MU, -1.0), "noise_var"),
    (lambda: ppca_log_likelihood(X, W, MU, np.nan), "noise_var"),
    (lambda: ppca_log_likelihood(X, W[:-1], MU, NOISE), "W"),
    (lambda: ppca_log_likelihood(X, W, MU[:-1], NOISE), "mu"),
    (lambda: ppca_log_likelihood(X[None], W, MU, NOISE), "X"),
    (lambda: ppca_log_likelihood(X, W.ravel(), MU, NOISE), "W"),
    (lambda: ppca_log_likelihood(np.where(X > 0, np.inf, X), W, MU, NOISE), "X"),
    (lambda: ppca_posterior(X, W, MU, [0.3, 0.3]), "noise_var"),
    (lambda: linear_vae_elbo(X, W, MU, NOISE, np.zeros((K, D + 1)), [1, 1]), "V"),
    (lambda: linear_vae_elbo(X, W, MU, NOISE, np.zeros((K, D)), [1, 1, 1]), "S"),
    (lambda: linear_vae_elbo(X, W, MU, NOISE, np.zeros((K, D)), [1, -1]), "S"),
    (lambda: linear_vae_elbo(X, W, MU, NOISE, np.zeros((K, D)), [[1, 2], [0, 1]]), "S"),
    (lambda: ppca_ml(X, 0), "k"),
    (lambda: ppca_ml(X, D), "k"),
    (lambda: ppca_ml(X[:1], 1), "X"),
    (lambda: fit_linear_vae(X, 1, beta=0.0), "beta"),
    (lambda: fit_linear_vae(X, 1, noise_var=-2.0), "noise_var"),
    (lambda: fit_ppca(X, 2.5), "k"),
    (lambda: linear_beta_optimum([1.0, -0.1], 0.5), "eigenvalues"),
    (lambda: linear_beta_optimum([1.0], 0.0), "noise_var"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- the analytic gradient used by fit_linear_vae ---------------------------------

@pytest.mark.parametrize("beta, noise_var", [(1.0, None), (2.5, None), (0.3, 0.7)])
def test_analytic_gradient_matches_autograd(beta, noise_var):
    """The closed-form gradient of the mean objective equals autograd's, at random points."""
    from autograd import value_and_grad
    from autograd.misc import flatten

    from helpers.vae import _mean_objective, _mean_objective_and_grad, _packing

    rng = np.random.default_rng(31)
    x = data(n=300, seed=3)
    mean, cov = x.mean(axis=0), np.cov(x.T, bias=True)
    for _ in range(5):
        k = int(rng.integers(1, D))
        params = {"W": rng.normal(size=(D, k)), "V": rng.normal(size=(k, D)),
                  "mu": rng.normal(size=D), "log_enc_var": rng.normal(size=k)}
        if noise_var is None:
            params["log_noise_var"] = rng.normal()
        flat, unflatten = flatten(params)
        mine_flat, mine_unflatten, pack = _packing(params)
        np.testing.assert_array_equal(mine_flat, flat)       # autograd's order
        for key, value in mine_unflatten(flat).items():
            np.testing.assert_array_equal(value, params[key])
        value, gradient = value_and_grad(
            lambda v: _mean_objective(unflatten(v), mean, cov, beta, noise_var))(flat)
        mine_value, mine_grads = _mean_objective_and_grad(params, mean, cov, beta,
                                                          noise_var)
        assert mine_value == pytest.approx(value, rel=1e-12)
        assert sorted(mine_grads) == sorted(params)
        np.testing.assert_allclose(pack(mine_grads), gradient, rtol=1e-10, atol=1e-10)


# ---- boundaries (mutation testing) ------------------------------------------------------

def test_encoder_covariance_must_be_symmetric_to_1e12():
    """Cholesky reads one triangle only: a 1e-4 asymmetry must still be refused."""
    V = np.zeros((K, D))
    with pytest.raises(ValueError, match="S must be symmetric positive definite"):
        linear_vae_elbo(X, W, MU, NOISE, V, [[1.0, 0.5], [0.5 + 1e-4, 1.0]])
    symmetric = linear_vae_elbo(X, W, MU, NOISE, V, [[1.0, 0.5], [0.5, 1.0]])
    nearly = linear_vae_elbo(X, W, MU, NOISE, V, [[1.0, 0.5], [0.5 * (1 + 1e-14), 1.0]])
    np.testing.assert_allclose(nearly, symmetric, rtol=1e-12)


def test_moments_of_two_rows_and_a_rank_deficient_sample():
    from helpers.vae import _moments

    x, mean, cov = _moments([[1.0, 2.0, 0.0], [3.0, -2.0, 0.0]])      # 2 rows are enough
    np.testing.assert_array_equal(mean, [2.0, 0.0, 0.0])
    np.testing.assert_allclose(cov, np.cov(x.T, bias=True), rtol=1e-15)
    with pytest.raises(ValueError, match="noise_var would be 0"):
        ppca_ml([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]], 1)          # all variance along one axis


def test_beta_optimum_at_a_zero_eigenvalue():
    w_sq, enc_var, rate = linear_beta_optimum([0.0, 2.0], 0.5, 2.0)
    np.testing.assert_allclose(w_sq, [0.0, 1.0])
    np.testing.assert_allclose(enc_var, [1.0, 0.5])
    np.testing.assert_allclose(rate, [0.0, 0.5 * np.log(2.0)])
    w_sq, enc_var, rate = linear_beta_optimum(3.0, 1.0)            # one eigenvalue: arrays of ()
    assert np.shape(w_sq) == () and w_sq == pytest.approx(2.0) and rate == pytest.approx(
        0.5 * np.log(3.0))


def test_fits_stop_at_max_iter():
    x = data(n=200, seed=4)          # far from converged after 3 steps: stopped by the limit
    assert fit_linear_vae(x, 2, max_iter=3, seed=1).iterations == 3


@pytest.mark.parametrize("max_iter", [1, 2])
def test_fits_start_where_documented(max_iter):
    """A few L-BFGS steps from the documented start, redone with scipy on reference objectives:
    autograd on _mean_objective (the VAE) and finite differences on ppca_log_likelihood."""
    from autograd import value_and_grad
    from autograd.misc import flatten

    from helpers.vae import _mean_objective

    x = data(n=50, seed=6)[:, :4]
    mean, cov, d, k = x.mean(axis=0), np.cov(x.T, bias=True), 4, 2
    rng = np.random.default_rng(0)                             # the default seed
    start = {"W": 0.1 * rng.standard_normal((d, k)), "V": 0.1 * rng.standard_normal((k, d)),
             "mu": np.zeros(d), "log_enc_var": np.zeros(k), "log_noise_var": np.log(np.trace(cov) / d)}
    flat, unflatten = flatten(start)
    ref = optimize.minimize(value_and_grad(lambda v: -_mean_objective(unflatten(v), mean, cov, 1.0, None)),
                            flat, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    fit = fit_linear_vae(x, k, max_iter=max_iter)
    assert fit.iterations == ref.nit == max_iter
    np.testing.assert_allclose(fit.W, unflatten(ref.x)["W"], rtol=1e-9, atol=1e-12)
    assert fit.objective == pytest.approx(-ref.fun, rel=1e-12)
    # fit_ppca: W from the same default seed, log noise_var from tr(C) / d
    start = np.append(0.1 * np.random.default_rng(0).standard_normal(d * k), np.log(np.trace(cov) / d))
    ref = optimize.minimize(lambda p: -ppca_log_likelihood(x, p[:-1].reshape(d, k), mean,
                                                           np.exp(p[-1])).mean(),
                            start, method="L-BFGS-B", options={"maxiter": max_iter})
    W_fit, mu_fit, noise_fit, loglik = fit_ppca(x, k, max_iter=max_iter)
    np.testing.assert_allclose(W_fit, ref.x[:-1].reshape(d, k), atol=1e-4)
    assert noise_fit == pytest.approx(np.exp(ref.x[-1]), rel=1e-4)
    assert loglik == pytest.approx(-ref.fun, abs=1e-5)
    np.testing.assert_array_equal(mu_fit, mean)
