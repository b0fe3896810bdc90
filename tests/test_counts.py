"""helpers.counts: the NB and ZINB log-probabilities against SciPy, 50-digit
arithmetic and brute-force sums; the sampler; the latent model's ELBO, its
gradient and its fit; and every validation error."""

import autograd.numpy as anp
import mpmath
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from helpers import counts
from helpers.counts import (decoder_mean, elbo_estimate, encode, exact_elbo, fit,
                            init_params, log_likelihood, nb_log_prob, sample_zinb,
                            simulate_cells, zinb_log_prob)

# derandomize: the examples are a fixed function of the test, like the fixed seeds.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)
log_scales = st.floats(-8, 8)


def zinb_mp(x, mu, theta, pi=0.0):
    """log ZINB(x; mu, theta, pi) from the textbook formula in 50-digit arithmetic."""
    with mpmath.workdps(50):
        x, mu, theta, pi = (mpmath.mpf(float(v)) for v in (x, mu, theta, pi))
        log_nb = (mpmath.loggamma(x + theta) - mpmath.loggamma(theta)
                  - mpmath.loggamma(x + 1) + theta * mpmath.log(theta / (theta + mu))
                  + x * mpmath.log(mu / (theta + mu)))
        return float(mpmath.log((pi if x == 0 else 0) + (1 - pi) * mpmath.exp(log_nb)))


def small_data(seed=0, n_cells=24, n_genes=6):
    cells = simulate_cells(np.random.default_rng(seed), n_cells, n_genes)
    return cells, init_params(np.random.default_rng(seed + 1), n_genes)


# ---- agreement with independent computations -------------------------------------

def test_nb_matches_scipy_where_scipy_is_accurate():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2000, 300)
    mu = np.exp(rng.uniform(np.log(0.05), np.log(500), 300))
    theta = np.exp(rng.uniform(np.log(0.2), np.log(50), 300))
    np.testing.assert_allclose(nb_log_prob(x, mu, theta),
                               stats.nbinom.logpmf(x, theta, theta / (theta + mu)),
                               rtol=1e-10)


def test_nb_matches_50_digits_on_an_extreme_grid():
    xs = np.array([0, 1, 2, 3, 9, 10, 11, 50, 1e3, 1e4, 1e5, 1e6])
    scales = np.array([1e-8, 1e-5, 1e-3, 0.1, 1, 9.99, 10, 10.01, 1e3, 1e6, 1e8])
    X, M, T = np.meshgrid(xs, scales, scales, indexing="ij")
    exact = np.vectorize(zinb_mp)(X, M, T)
    np.testing.assert_allclose(nb_log_prob(X, M, T), exact, rtol=2e-14, atol=0)


@SETTINGS
@given(st.integers(0, 10**6), log_scales, log_scales)
def test_nb_matches_50_digits_anywhere(x, log_mu, log_theta):
    mu, theta = 10.0**log_mu, 10.0**log_theta
    assert nb_log_prob(x, mu, theta) == pytest.approx(zinb_mp(x, mu, theta),
                                                      rel=2e-14, abs=1e-300)


@SETTINGS
@given(st.integers(0, 10**4), log_scales, log_scales,
       st.sampled_from([0.0, 1e-12, 1e-6, 0.01, 0.3, 0.9, 0.999, 1 - 1e-9]))
def test_zinb_matches_50_digits_anywhere(x, log_mu, log_theta, pi):
    mu, theta = 10.0**log_mu, 10.0**log_theta
    assert zinb_log_prob(x, mu, theta, pi) == pytest.approx(
        zinb_mp(x, mu, theta, pi), rel=2e-14, abs=1e-300)


def test_zinb_structure():
    x = np.arange(0, 30)
    mu, theta, pi = 4.0, 1.5, 0.2
    nonzero = zinb_log_prob(x[1:], mu, theta, pi)
    np.testing.assert_allclose(nonzero, np.log1p(-pi) + nb_log_prob(x[1:], mu, theta),
                               rtol=1e-15)
    np.testing.assert_array_equal(zinb_log_prob(x, mu, theta, 0.0),
                                  nb_log_prob(x, mu, theta))
    assert np.exp(zinb_log_prob(0, mu, theta, pi)) == pytest.approx(
        pi + (1 - pi) * np.exp(nb_log_prob(0, mu, theta)), rel=1e-15)
    # a zero whose NB probability underflows: pi = 0 still gives the right logarithm
    assert zinb_log_prob(0, 1e8, 100.0, 0.0) == pytest.approx(
        -100 * np.log1p(1e6), rel=1e-15)


@pytest.mark.parametrize("mu, theta, pi", [(3.0, 0.7, 0.0), (20.0, 5.0, 0.3),
                                           (0.5, 50.0, 0.1), (8.0, 0.2, 0.6)])
def test_brute_force_sums_give_one_and_the_moments(mu, theta, pi):
    x = np.arange(0, 20_000)
    p = np.exp(zinb_log_prob(x, mu, theta, pi))
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    mean = (1 - pi) * mu
    assert np.sum(x * p) == pytest.approx(mean, rel=1e-11)
    variance = (1 - pi) * mu * (1 + pi * mu + mu / theta)
    assert np.sum((x - mean) ** 2 * p) == pytest.approx(variance, rel=1e-10)


def test_poisson_limit():
    x = np.arange(0, 60)
    np.testing.assert_allclose(nb_log_prob(x, 10.0, 1e15),
                               stats.poisson.logpmf(x, 10.0), rtol=1e-11)


def test_output_types_and_broadcasting():
    assert isinstance(nb_log_prob(3, 2.0, 1.0), float)
    assert isinstance(zinb_log_prob(0, 2.0, 1.0, 0.5), float)
    out = zinb_log_prob(np.zeros((4, 1)), np.ones(3), 2.0, np.full((1, 3), 0.1))
    assert out.shape == (4, 3) and out.dtype == np.float64


# ---- the derivatives that training uses ----------------------------------------------

def test_derivatives_match_finite_differences():
    rng = np.random.default_rng(1)
    x = np.concatenate([np.zeros(5), rng.integers(1, 500, 15)])[:, None] * np.ones(4)
    mu = np.exp(rng.uniform(-3, 6, (20, 4)))
    theta = np.exp(rng.uniform(-2, 4, 4))                  # broadcast over rows
    total = lambda m, t: anp.sum(counts._log_nb(x, m, t))
    step = 1e-6
    d_mu = grad(total, 0)(mu, theta)
    bump = np.zeros_like(mu)
    bump[3, 2] = step * mu[3, 2]
    central = (total(mu + bump, theta) - total(mu - bump, theta)) / (2 * bump[3, 2])
    assert d_mu[3, 2] == pytest.approx(central, rel=1e-6)
    d_theta = grad(total, 1)(mu, theta)
    assert d_theta.shape == theta.shape
    for g in range(4):
        bump = np.zeros(4)
        bump[g] = step * theta[g]
        central = (total(mu, theta + bump) - total(mu, theta - bump)) / (2 * bump[g])
        assert d_theta[g] == pytest.approx(central, rel=1e-6)


def test_zinb_gradient_is_finite_where_a_zero_has_high_probability():
    # mu tiny: the x = 0 branch uses log1p, whose gradient must not be nan
    f = lambda logit: anp.sum(counts._log_zinb(np.zeros(3), np.full(3, 1e-9), 2.0,
                                               -anp.logaddexp(0.0, -logit),
                                               -anp.logaddexp(0.0, logit)))
    assert np.all(np.isfinite(grad(f)(np.array([-3.0, 0.0, 3.0]))))


# ---- the sampler ---------------------------------------------------------------------

def test_sampler_moments_and_zero_frequency():
    rng = np.random.default_rng(2)
    mu, theta, pi = 6.0, 1.5, 0.25
    draws = sample_zinb(rng, mu, theta, pi, size=200_000)
    assert draws.dtype == np.int64 and draws.min() >= 0
    se = lambda values: values.std(ddof=1) / np.sqrt(values.size)
    mean = (1 - pi) * mu
    assert abs(draws.mean() - mean) < 4 * se(draws)
    variance = (1 - pi) * mu * (1 + pi * mu + mu / theta)
    assert abs(((draws - mean) ** 2).mean() - variance) < 4 * se((draws - mean) ** 2)
    for k in range(6):
        hit = (draws == k).astype(float)
        assert abs(hit.mean() - np.exp(zinb_log_prob(k, mu, theta, pi))) < 4 * se(hit)


def test_sampler_broadcasts_parameters():
    rng = np.random.default_rng(3)
    draws = sample_zinb(rng, np.ones((5, 1)) * 3.0, np.ones(4), 0.1)
    assert draws.shape == (5, 4)


# ---- the latent model -----------------------------------------------------------------

def test_simulation_is_seeded_and_consistent():
    a = simulate_cells(np.random.default_rng(5), 30, 8, 3)
    b = simulate_cells(np.random.default_rng(5), 30, 8, 3)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.x.shape == (30, 8) and a.z.shape == (30, 2) and a.W.shape == (2, 8)
    assert np.bincount(a.cell_type).tolist() == [10, 10, 10]
    assert np.all(a.pi >= 0.02) and np.all(a.pi <= 0.3)


def test_decoder_mean_shares_out_the_library():
    cells, params = small_data()
    library = cells.x.sum(axis=1).astype(float)
    z = np.random.default_rng(0).standard_normal((3, len(library), 2))
    mu = decoder_mean(params, z, library)
    np.testing.assert_allclose(mu.sum(axis=-1), np.broadcast_to(library, (3, 24)),
                               rtol=1e-13)


def test_log_likelihood_is_the_sum_of_zinb_terms():
    cells, params = small_data()
    z = np.random.default_rng(1).standard_normal((24, 2))
    mu = decoder_mean(params, z, cells.x.sum(axis=1))
    pi = 1 / (1 + np.exp(-params[7]))
    expected = zinb_log_prob(cells.x, mu, np.exp(params[6]), pi).sum(axis=1)
    np.testing.assert_allclose(log_likelihood(params, cells.x, z), expected, rtol=1e-12)


def test_exact_elbo_converges_and_the_one_draw_estimate_is_unbiased():
    cells, params = small_data()
    exact = exact_elbo(params, cells.x, nodes=16)
    np.testing.assert_allclose(exact_elbo(params, cells.x, nodes=24), exact, atol=1e-8)
    rng = np.random.default_rng(4)
    draws = np.array([elbo_estimate(params, cells.x, rng.standard_normal((24, 2)))
                      for _ in range(2000)])
    mean, se = draws.mean(axis=0), draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(mean - exact) < 4.5 * se)


def test_elbo_gradient_matches_finite_differences():
    cells, params = small_data()
    eps = np.random.default_rng(6).standard_normal((24, 2))
    f = lambda p: anp.mean(elbo_estimate(p, cells.x, eps))
    g = grad(f)(params)
    rng = np.random.default_rng(7)
    for block in range(8):
        direction = [np.zeros_like(p) for p in params]
        direction[block] = rng.standard_normal(params[block].shape)
        shifted = lambda s: f([p + s * d for p, d in zip(params, direction)])
        central = (shifted(1e-5) - shifted(-1e-5)) / 2e-5
        assert np.sum(g[block] * direction[block]) == pytest.approx(central, rel=1e-6)


def test_fit_is_seeded_and_raises_the_elbo():
    cells, _ = small_data(n_cells=60, n_genes=10)
    first, history = fit(cells.x, steps=40, learning_rate=0.05, seed=3)
    second, _ = fit(cells.x, steps=40, learning_rate=0.05, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    start = init_params(np.random.default_rng(3), 10)
    assert exact_elbo(first, cells.x).mean() > exact_elbo(start, cells.x).mean() + 3
    assert history.shape == (40,)


def test_encode_shapes():
    cells, params = small_data()
    mean, log_var = encode(params, cells.x)
    assert mean.shape == log_var.shape == (24, 2)
    np.testing.assert_allclose(log_var, -2.0)              # C = 0, c = -2 at the start


# ---- validation -------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: nb_log_prob("a", 1.0, 1.0), "x must be real numbers"),
    (lambda: nb_log_prob(np.nan, 1.0, 1.0), "x must be finite"),
    (lambda: nb_log_prob(-1, 1.0, 1.0), "x must be non-negative integers"),
    (lambda: nb_log_prob(1.5, 1.0, 1.0), "x must be non-negative integers"),
    (lambda: nb_log_prob(1, 0.0, 1.0), "mu must be positive"),
    (lambda: nb_log_prob(1, 1.0, -2.0), "theta must be positive"),
    (lambda: nb_log_prob(1, np.inf, 1.0), "mu must be finite"),
    (lambda: nb_log_prob([1, 2], [1.0, 2.0, 3.0], 1.0), "do not broadcast"),
    (lambda: zinb_log_prob(1, 1.0, 1.0, 1.0), r"pi must lie in \[0, 1\)"),
    (lambda: zinb_log_prob(1, 1.0, 1.0, -0.1), r"pi must lie in \[0, 1\)"),
    (lambda: sample_zinb(np.random.default_rng(0), -1.0, 1.0, 0.1), "mu must be"),
    (lambda: sample_zinb(np.random.default_rng(0), 1.0, 1.0, 1.5), "pi must lie"),
    (lambda: simulate_cells(np.random.default_rng(0), n_cells=1), "n_cells must"),
    (lambda: simulate_cells(np.random.default_rng(0), n_genes=2.5), "n_genes must"),
    (lambda: simulate_cells(np.random.default_rng(0), n_types=0), "n_types must"),
    (lambda: simulate_cells(np.random.default_rng(0), spread=0.0), "spread must"),
    (lambda: init_params(np.random.default_rng(0), 1), "n_genes must"),
    (lambda: init_params(np.random.default_rng(0), 5, latent=0), "latent must be a positive integer"),
    (lambda: fit(np.ones((4, 3)), steps=0), "steps must be a positive integer"),
    (lambda: fit(np.ones((4, 3)), learning_rate=0.0), "learning_rate must be positive"),
    (lambda: fit(np.ones(3)), r"x must have shape \(N, G\)"),
    (lambda: fit(np.array([[1, 2], [0, 0]])), "at least one count in every row"),
])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_model_errors():
    cells, params = small_data()
    x = cells.x
    with pytest.raises(ValueError, match=r"params must be the list"):
        encode(params[:7], x)
    bad = list(params)
    bad[5] = np.zeros(5)
    with pytest.raises(ValueError, match=r"params b must have shape \(6,\)"):
        encode(bad, x)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 6\)"):
        encode(params, x[:, :5])
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., N, 2\)"):
        decoder_mean(params, np.zeros((24, 3)), x.sum(axis=1))
    with pytest.raises(ValueError, match=r"library must have shape \(24,\)"):
        decoder_mean(params, np.zeros((24, 2)), np.ones(23))
    with pytest.raises(ValueError, match="library must be positive"):
        decoder_mean(params, np.zeros((24, 2)), np.zeros(24))
    with pytest.raises(ValueError, match=r"eps must have shape \(24, 2\)"):
        elbo_estimate(params, x, np.zeros((24, 3)))
    with pytest.raises(ValueError, match="nodes must be a positive integer"):
        exact_elbo(params, x, nodes=0)
    three = init_params(np.random.default_rng(0), 6, latent=3)
    with pytest.raises(ValueError, match="the latent must be 2-D"):
        exact_elbo(three, x)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_analytic_loss_gradient_matches_autograd(seed):
    """fit's chain-rule gradient against autograd's, at random points and data
    (weights wide enough that zeros take both branches of eq-scvi-zinb-zero)."""
    from autograd import value_and_grad
    rng = np.random.default_rng(seed)
    x = simulate_cells(rng, n_cells=40, n_genes=12).x.astype(float)
    params = [p + rng.normal(0, 0.2, p.shape) for p in init_params(rng, 12)]
    params[7] = rng.normal(0, 3.0, 12)                     # pi from ~0.05 to ~0.95
    eps = rng.standard_normal((40, 2))
    loss, gradient = value_and_grad(counts._loss)(params, x, eps)
    loss_analytic, gradient_analytic = counts._loss_and_gradient(params, x, eps)
    assert loss_analytic == loss
    for g, h in zip(gradient, gradient_analytic):
        assert g.shape == h.shape and np.all(np.isfinite(g))
        np.testing.assert_allclose(h, g, rtol=1e-10, atol=1e-12 * np.abs(g).max())


def test_zinb_partials_cover_both_zero_branches():
    """Both x = 0 branches of _zinb_partials, against autograd of _log_zinb."""
    from autograd import elementwise_grad
    x = np.array([0.0, 0.0, 0.0, 3.0])
    mu, theta = np.array([0.01, 50.0, 2.0, 4.0]), np.array([1.0, 2.0, 0.5, 3.0])
    logit = np.array([-3.0, -2.0, 2.5, 0.3])
    log_pi, log_1m_pi = -np.logaddexp(0, -logit), -np.logaddexp(0, logit)
    log_nb = counts._log_nb(x, mu, theta)
    s = -np.exp(log_1m_pi) * np.expm1(log_nb)
    assert np.any(s[:3] <= 0.5) and np.any(s[:3] > 0.5)
    args = (x, log_nb, log_pi, log_1m_pi)
    want = [elementwise_grad(counts._zinb_from_log_nb, k)(*args) for k in (1, 2, 3)]
    for got, expected in zip(counts._zinb_partials(*args), want):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


# ---- the simulator's documented constants (simulate_cells docstring, book: scvi.md) ----------

def test_simulator_draws_the_documented_distributions():
    """Kolmogorov-Smirnov against the documented laws: z = 1.5 (cos, sin)(2 pi k / K) +
    N(0, spread^2 I), l ~ LogNormal(log 400, 0.3^2) (many cells); W ~ N(0, 1), b ~ N(0, 0.5^2),
    log theta ~ U(log 0.5, log 20), pi ~ U(0.02, 0.3) (many genes)."""
    cells = simulate_cells(np.random.default_rng(11), n_cells=3000, n_genes=2, n_types=5,
                           spread=0.4)
    angles = 2 * np.pi * np.arange(5) / 5
    centres = 1.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    laws = [((cells.z - centres[cells.cell_type]).ravel(), stats.norm(0, 0.4)),
            (np.log(cells.library), stats.norm(np.log(400), 0.3))]
    genes = simulate_cells(np.random.default_rng(12), n_cells=2, n_genes=3000)
    laws += [(genes.W.ravel(), stats.norm(0, 1)), (genes.b, stats.norm(0, 0.5)),
             (np.log(genes.theta), stats.uniform(np.log(0.5), np.log(40))),
             (genes.pi, stats.uniform(0.02, 0.28))]
    for values, law in laws:
        assert stats.kstest(values, law.cdf).pvalue > 1e-3
    assert np.bincount(cells.cell_type).tolist() == [600] * 5
    assert 0.5 <= genes.theta.min() < 0.52 and 19.5 < genes.theta.max() <= 20
    assert 0.02 <= genes.pi.min() < 0.021 and 0.299 < genes.pi.max() <= 0.3


def test_simulated_counts_have_the_model_mean():
    """Given the returned truth, E[x_ng] = (1 - pi_g) l_n softmax_g(W z_n + b)_g and
    Var = (1 - pi) mu (1 + pi mu + mu / theta): each gene's total within 5 standard errors."""
    cells = simulate_cells(np.random.default_rng(13), n_cells=400, n_genes=30, n_types=2)
    mu = cells.library[:, None] * special.softmax(cells.z @ cells.W + cells.b, axis=1)
    mean = (1 - cells.pi) * mu
    variance = mean * (1 + cells.pi * mu + mu / cells.theta)
    score = (cells.x.sum(axis=0) - mean.sum(axis=0)) / np.sqrt(variance.sum(axis=0))
    assert np.max(np.abs(score)) < 5


def test_smallest_valid_simulation():
    """n_cells = 2, n_genes = 2 and n_types = 1 are allowed (the documented minima);
    n_genes = 1 is not."""
    cells = simulate_cells(np.random.default_rng(0), n_cells=2, n_genes=2, n_types=1)
    assert cells.x.shape == (2, 2) and np.all(cells.cell_type == 0)
    with pytest.raises(ValueError, match="n_genes must be an integer >= 2"):
        simulate_cells(np.random.default_rng(0), n_genes=1)


def test_sampler_takes_a_tuple_size():
    draws = sample_zinb(np.random.default_rng(4), np.array([1.0, 50.0]), 2.0, 0.0, size=(3000, 2))
    assert draws.shape == (3000, 2)
    assert draws[:, 0].mean() < 2 < 30 < draws[:, 1].mean()


# ---- the pieces of the log-probability --------------------------------------------------

def test_stirling_remainder_against_50_digits():
    """R(z) = log Gamma(z) - (z - 1/2) log z + z - log(2 pi)/2 on both sides of z = 10:
    the series (z >= 10) to 1e-14 relative, the direct form (z < 10) to 2e-14 absolute."""
    z = np.array([1e-8, 0.3, 1.0, 2.5, 7.0, 9.99, 10.0, 10.5, 37.0, 1e3, 1e6, 1e8])
    with mpmath.workdps(50):
        exact = np.array([float(mpmath.loggamma(v) - (v - 0.5) * mpmath.log(v) + v
                                - mpmath.log(2 * mpmath.pi) / 2) for v in map(mpmath.mpf, z)])
    got = counts._stirling_remainder(z)
    big = z >= 10
    np.testing.assert_allclose(got[big], exact[big], rtol=1e-14, atol=0)
    np.testing.assert_allclose(got[~big], exact[~big], rtol=0, atol=2e-14)


def test_deviance_term_against_50_digits():
    """b(a, c) = a log(a / c) + c - a on both sides of |a / c - 1| = 0.1, to 1e-14."""
    c = np.array([3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 1e6, 1e-5])
    a = c * np.array([1.0 + 1e-9, 0.95, 1.05, 0.85, 1.2, 40.0, 1.0 - 1e-4, 0.01])
    with mpmath.workdps(50):
        exact = np.array([float(ai * mpmath.log(ai / ci) + ci - ai)
                          for ai, ci in zip(map(mpmath.mpf, a), map(mpmath.mpf, c))])
    np.testing.assert_allclose(counts._deviance_term(a, c, a - c), exact, rtol=1e-14, atol=0)


@pytest.mark.parametrize("rows", [5, 2])
def test_gradient_sums_over_broadcast_axes_of_size_one(rows):
    """mu of shape (rows, 1) and theta (1, 3) broadcast against x (rows, 3), and mu (1, 3),
    theta (rows, 1): autograd's gradient has their shapes and matches central differences."""
    x = np.array([[0, 3, 7], [1, 0, 2], [4, 4, 4], [0, 0, 9], [12, 1, 0]], dtype=float)[:rows]
    mu, theta = np.array([[1.5], [0.7], [4.0], [2.2], [6.0]])[:rows], np.array([[0.8, 3.0, 12.0]])
    if rows == 2:
        mu, theta = theta, mu
    total = lambda m, t: anp.sum(counts._log_nb(x, m, t))
    for arg, value in ((0, mu), (1, theta)):
        g = grad(total, arg)(mu, theta)
        assert g.shape == value.shape
        for index in np.ndindex(value.shape):
            h = np.zeros_like(value)
            h[index] = 1e-6 * value[index]
            shifted = lambda s: total(*[(mu, theta)[i] + (s * h if i == arg else 0) for i in (0, 1)])
            assert g[index] == pytest.approx((shifted(1) - shifted(-1)) / (2 * h[index]), rel=1e-6)


# ---- the latent model's pieces, from their documented formulas ---------------------------

def random_params(seed, n_genes=6, scale=0.4):
    rng = np.random.default_rng(seed)
    return [p + scale * rng.standard_normal(np.shape(p)) for p in init_params(rng, n_genes)]


def test_init_params_documented_start():
    """theta = 1, pi = 0.1, s = e^-1 (C = 0, c = -2), a = 0, b = 0, and A, W ~ N(0, 0.1^2)."""
    A, a, C, c, W, b, log_theta, logit_pi = init_params(np.random.default_rng(0), 2000)
    np.testing.assert_allclose(np.exp(log_theta), 1.0)
    np.testing.assert_allclose(1 / (1 + np.exp(-logit_pi)), 0.1, rtol=1e-14)
    np.testing.assert_allclose(np.exp(0.5 * c), np.exp(-1.0), rtol=1e-15)
    assert not (np.any(a) or np.any(b) or np.any(C))
    for weights in (A, W):
        assert stats.kstest(weights.ravel(), stats.norm(0, 0.1).cdf).pvalue > 1e-3
    assert A.shape == (2000, 2) and W.shape == (2, 2000) and len(init_params(
        np.random.default_rng(0), 2, latent=3)[1]) == 3


def test_encode_and_decoder_follow_their_formulas():
    """m = log1p(x) A + a, log s^2 = log1p(x) C + c; mu = l softmax(z W + b) over genes,
    for z of shape (S, N, L) too (scipy's softmax)."""
    cells, _ = small_data()
    params = random_params(1)
    A, a, C, c, W, b = params[:6]
    mean, log_var = encode(params, cells.x)
    np.testing.assert_allclose(mean, np.log1p(cells.x) @ A + a, rtol=1e-13)
    np.testing.assert_allclose(log_var, np.log1p(cells.x) @ C + c, rtol=1e-13)
    z = 3 * np.random.default_rng(2).standard_normal((4, 24, 2))
    library = cells.x.sum(axis=1).astype(float)
    np.testing.assert_allclose(decoder_mean(params, z, library),
                               library[:, None] * special.softmax(z @ W + b, axis=-1), rtol=1e-12)
    # cells whose logits differ by thousands: each row's softmax must be shifted by its own max
    far = np.zeros((24, 2))
    far[::2] = [2000.0, -2000.0]
    np.testing.assert_allclose(decoder_mean(params, far, library),
                               library[:, None] * special.softmax(far @ W + b, axis=-1),
                               rtol=1e-12, atol=1e-300)


def test_elbo_estimate_is_likelihood_at_the_reparameterised_draw_minus_kl():
    """elbo_estimate = log p(x | m + s eps) - KL(N(m, s^2) || N(0, I)), with the KL as
    E_q[log q - log p] from scipy's log-densities, by Gauss-Hermite quadrature (exact: the
    integrand is quadratic), independent of the closed form."""
    cells, _ = small_data()
    params = random_params(3)
    eps = np.random.default_rng(4).standard_normal((24, 2))
    mean, log_var = encode(params, cells.x)
    scale = np.exp(0.5 * log_var)
    gap = log_likelihood(params, cells.x, mean + scale * eps) - elbo_estimate(params, cells.x, eps)
    u, w = np.polynomial.hermite_e.hermegauss(6)          # weight exp(-u^2 / 2)
    t = mean[..., None] + scale[..., None] * u             # (N, 2, nodes)
    log_ratio = stats.norm.logpdf(t, mean[..., None], scale[..., None]) - stats.norm.logpdf(t)
    kl = np.sum(log_ratio @ w, axis=1) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(gap, kl, rtol=1e-10)


def test_model_rejects_non_finite_parameters():
    cells, params = small_data()
    bad = list(params)
    bad[4] = np.full_like(params[4], np.nan)
    with pytest.raises(ValueError, match="params W must be finite"):
        encode(bad, cells.x)
    with pytest.raises(ValueError, match="z must be finite"):
        decoder_mean(params, np.full((24, 2), np.inf), cells.x.sum(axis=1))
    with pytest.raises(ValueError, match="eps must be finite"):
        elbo_estimate(params, cells.x, np.full((24, 2), np.nan))


def test_fit_is_textbook_adam_on_the_autograd_gradient():
    """Three steps of Adam (Kingma & Ba 2015: beta1 = 0.9, beta2 = 0.999, eps = 1e-8, bias
    corrected) from init_params(rng(seed)), drawing eps from the same generator, with the
    gradient by autograd: the same parameters and history as fit (seed = 0, the default)."""
    from autograd import value_and_grad
    x = small_data(n_cells=12, n_genes=5)[0].x
    params, history = fit(x, steps=3, learning_rate=0.05)
    rng = np.random.default_rng(0)
    p = init_params(rng, 5)
    m, v, lr = [0 * q for q in p], [0 * q for q in p], 0.05
    for t in range(1, 4):
        loss, g = value_and_grad(counts._loss)(p, x.astype(float), rng.standard_normal((12, 2)))
        assert history[t - 1] == pytest.approx(-loss, rel=1e-12)
        m = [0.9 * mi + 0.1 * gi for mi, gi in zip(m, g)]
        v = [0.999 * vi + 0.001 * gi**2 for vi, gi in zip(v, g)]
        p = [q - lr * (mi / (1 - 0.9**t)) / (np.sqrt(vi / (1 - 0.999**t)) + 1e-8)
             for q, mi, vi in zip(p, m, v)]
    for got, want in zip(params, p):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_errors_name_the_first_bad_entry_of_an_array():
    """Among valid entries (0, 1, 0.5 are valid counts / pi), the message shows the bad one."""
    with pytest.raises(ValueError, match=r"x must be non-negative integers \(counts\), got 1\.5"):
        nb_log_prob([0, 2, 1.5], 1.0, 1.0)
    with pytest.raises(ValueError, match=r"x must be non-negative integers \(counts\), got -3"):
        nb_log_prob([0, 2, -3], 1.0, 1.0)
    with pytest.raises(ValueError, match=r"pi must lie in \[0, 1\), got 1\.0"):
        zinb_log_prob(1, 1.0, 1.0, [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match=r"pi must lie in \[0, 1\), got -0\.5"):
        zinb_log_prob(1, 1.0, 1.0, [0.0, 0.5, -0.5])


# ---- the model conditional on a given library size (eq-scvi-model) ------------------------

def test_log_likelihood_with_a_given_library_is_scipys_zinb():
    """log p(x_n | z, l_n) with l_n given (not sum_g x_ng): the sum over genes of ZINB
    log-probabilities built from scipy's nbinom at mu = l_n softmax(z W + b)."""
    cells, _ = small_data()
    params = random_params(5)
    z = np.random.default_rng(6).standard_normal((24, 2))
    mu = cells.library[:, None] * special.softmax(z @ params[4] + params[5], axis=1)
    theta, pi = np.exp(params[6]), special.expit(params[7])
    p = theta / (theta + mu)
    expected = np.where(cells.x == 0, np.log(pi + (1 - pi) * p**theta),
                        np.log1p(-pi) + stats.nbinom.logpmf(cells.x, theta, p)).sum(axis=1)
    got = log_likelihood(params, cells.x, z, library=cells.library)
    np.testing.assert_allclose(got, expected, rtol=1e-11)
    observed = log_likelihood(params, cells.x, z)                  # l_n = sum_g x_ng
    assert np.all(np.abs(observed - got) > 1e-6)                   # a different model
    np.testing.assert_array_equal(
        observed, log_likelihood(params, cells.x, z, library=cells.x.sum(axis=1)))


def test_elbo_functions_pass_the_library_on():
    """elbo_estimate and exact_elbo with a given library: the one-draw estimate is
    log p(x | m + s eps, l) - KL, and the default equals library = sum_g x_ng."""
    cells, _ = small_data()
    params = random_params(7)
    eps = np.random.default_rng(8).standard_normal((24, 2))
    mean, log_var = encode(params, cells.x)
    z = mean + np.exp(0.5 * log_var) * eps
    kl = 0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1)
    library = 1.7 * cells.library
    np.testing.assert_allclose(elbo_estimate(params, cells.x, eps, library),
                               log_likelihood(params, cells.x, z, library) - kl,
                               rtol=1e-13)
    points, weights = np.polynomial.hermite_e.hermegauss(10)       # weight exp(-u^2/2)
    grid = np.stack(np.meshgrid(points, points), -1).reshape(-1, 2)
    w = np.outer(weights, weights).ravel() / (2 * np.pi)
    expected = w @ log_likelihood(params, cells.x, mean + np.exp(0.5 * log_var)
                                  * grid[:, None, :], library) - kl
    np.testing.assert_allclose(exact_elbo(params, cells.x, nodes=10, library=library),
                               expected, rtol=1e-12)
    np.testing.assert_array_equal(exact_elbo(params, cells.x),
                                  exact_elbo(params, cells.x, library=cells.x.sum(axis=1)))


def test_fit_with_a_given_library_is_adam_on_that_models_gradient():
    """fit(x, library=l): two Adam steps on autograd's gradient of the loss with that l,
    and a different result from the default (observed totals)."""
    from autograd import value_and_grad
    cells = small_data(n_cells=12, n_genes=5)[0]
    x, library = cells.x, 0.5 * cells.library
    params, history = fit(x, steps=2, learning_rate=0.05, library=library)
    rng = np.random.default_rng(0)
    p = init_params(rng, 5)
    m, v = [0 * q for q in p], [0 * q for q in p]
    for t in (1, 2):
        loss, g = value_and_grad(counts._loss)(p, x.astype(float),
                                               rng.standard_normal((12, 2)), library)
        assert history[t - 1] == pytest.approx(-loss, rel=1e-12)
        m = [0.9 * mi + 0.1 * gi for mi, gi in zip(m, g)]
        v = [0.999 * vi + 0.001 * gi**2 for vi, gi in zip(v, g)]
        p = [q - 0.05 * (mi / (1 - 0.9**t)) / (np.sqrt(vi / (1 - 0.999**t)) + 1e-8)
             for q, mi, vi in zip(p, m, v)]
    for got, want in zip(params, p):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    default, _ = fit(x, steps=2, learning_rate=0.05)
    assert not np.allclose(default[4], params[4])


@pytest.mark.parametrize("seed", [0, 1])
def test_analytic_gradient_with_a_given_library_matches_autograd(seed):
    from autograd import value_and_grad
    rng = np.random.default_rng(seed)
    cells = simulate_cells(rng, n_cells=30, n_genes=8)
    x = cells.x.astype(float)
    params = [q + rng.normal(0, 0.2, q.shape) for q in init_params(rng, 8)]
    eps = rng.standard_normal((30, 2))
    loss, gradient = value_and_grad(counts._loss)(params, x, eps, cells.library)
    loss_analytic, gradient_analytic = counts._loss_and_gradient(params, x, eps,
                                                                 cells.library)
    assert loss_analytic == loss
    assert loss != counts._loss(params, x, eps)                    # the library matters
    for g, h in zip(gradient, gradient_analytic):
        np.testing.assert_allclose(h, g, rtol=1e-10, atol=1e-12 * np.abs(g).max())


def test_library_is_validated():
    cells, params = small_data()
    x, z, eps = cells.x, np.zeros((24, 2)), np.zeros((24, 2))
    calls = [lambda lib: log_likelihood(params, x, z, library=lib),
             lambda lib: elbo_estimate(params, x, eps, library=lib),
             lambda lib: exact_elbo(params, x, nodes=3, library=lib),
             lambda lib: fit(x, steps=1, library=lib)]
    for call in calls:
        with pytest.raises(ValueError, match=r"library must have shape \(24,\)"):
            call(np.ones(23))
        with pytest.raises(ValueError, match="library must be positive"):
            call(np.r_[np.ones(23), 0.0])
        with pytest.raises(ValueError, match="library must be finite"):
            call(np.r_[np.ones(23), np.nan])


def test_deviance_term_broadcasts_and_takes_scalars():
    """b(a, c) for a of shape (3,) against c, d of shape (2, 3), and for 0-d inputs,
    on both branches, against the far form in 50 digits."""
    a = np.array([2.0, 5.0, 40.0])
    c = np.array([[2.05, 5.0 * (1 - 1e-6), 1.0], [1.0, 5.2, 39.0]])
    with mpmath.workdps(50):
        exact = np.array([[float(mpmath.mpf(ai) * mpmath.log(mpmath.mpf(ai) / ci) + ci - ai)
                           for ai, ci in zip(a, row)] for row in c])
    np.testing.assert_allclose(counts._deviance_term(a, c, a - c), exact, rtol=1e-13, atol=0)
    assert float(counts._deviance_term(3.0, 3.0, 0.0)) == 0.0
    assert float(counts._deviance_term(40.0, 1.0, 39.0)) == pytest.approx(
        40 * np.log(40) - 39, rel=1e-15)
