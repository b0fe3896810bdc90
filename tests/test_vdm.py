"""helpers.vdm against independent computations.

Independent means: scipy quadrature of the defining integrals, explicit loops
over the steps, Monte Carlo with a fixed seed (z = 5 standard errors), scipy's
normal distribution function, the Gaussian KL of helpers.gaussian, and a
one-component "mixture", whose quadrature must reproduce the Gaussian closed
forms.  Every ValueError path is exercised.
"""

import numpy as np
import pytest
from scipy import integrate, stats

from helpers.diffusion import GaussianMixture
from helpers.gaussian import kl_normal
from helpers.vdm import (LOG_SNR_MAX, LOG_SNR_MIN, bits_per_dim,
                         discretized_gaussian_log_likelihood, gaussian_diffusion_loss,
                         gaussian_diffusion_loss_steps, gaussian_mmse,
                         gaussian_neg_elbo, gaussian_neg_log_likelihood,
                         gaussian_prior_term, log_snr_cosine, log_snr_linear,
                         mixture_diffusion_loss, mixture_diffusion_loss_steps,
                         mixture_entropy, mixture_mmse, mixture_neg_elbo,
                         mixture_prior_term, pixel_levels, reconstruction_term,
                         vp_variances)
from test_diffusion import MIXTURE, within     # the same mixture and z = 5 test


def one_component(s2, d=1):
    return GaussianMixture([1.0], np.zeros((1, d)), s2 * np.eye(d)[None])


# ---- schedules and variances ----------------------------------------------------

def test_vp_variances_are_the_logistic_pair():
    lam = np.linspace(-20, 20, 81)
    a2, s2 = vp_variances(lam)
    np.testing.assert_allclose(a2 + s2, 1.0, rtol=1e-15)
    np.testing.assert_allclose(np.log(a2 / s2), lam, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a2, 1 / (1 + np.exp(-lam)), rtol=1e-15)


@pytest.mark.parametrize("schedule", [log_snr_linear, log_snr_cosine])
def test_schedules_run_from_max_to_min_and_fall(schedule):
    t = np.linspace(0, 1, 1001)
    lam = schedule(t)
    np.testing.assert_allclose(lam[[0, -1]], [LOG_SNR_MAX, LOG_SNR_MIN], atol=1e-12)
    assert np.all(np.diff(lam) < 0)
    np.testing.assert_allclose(schedule(t, -3.0, 7.0)[[0, -1]], [7.0, -3.0], atol=1e-12)


def test_cosine_schedule_is_nichols_alpha_with_u_rescaled():
    # alpha_t = cos(pi u / 2) for u running over [u0, u1] with the same end points
    u0 = 2 / np.pi * np.arctan(np.exp(-LOG_SNR_MAX / 2))
    u1 = 2 / np.pi * np.arctan(np.exp(-LOG_SNR_MIN / 2))
    t = np.linspace(0, 1, 11)
    u = u0 + (u1 - u0) * t
    alpha2 = np.cos(np.pi * u / 2) ** 2
    np.testing.assert_allclose(vp_variances(log_snr_cosine(t))[0], alpha2, rtol=1e-12)


def test_linear_schedule_is_vdms_gamma():
    t = np.array([0.0, 0.25, 1.0])
    gamma = -13.3 + (5.0 + 13.3) * t
    np.testing.assert_allclose(log_snr_linear(t), -gamma, rtol=1e-15)


# ---- Gaussian data ----------------------------------------------------------------

@pytest.mark.parametrize("x", [None, 0.0, 1.3])
@pytest.mark.parametrize("lam", [-4.0, 0.5, 6.0])
def test_gaussian_mmse_against_monte_carlo(x, lam):
    rng = np.random.default_rng(11)
    s2 = 0.4
    a2, n2 = vp_variances(lam)
    data = (np.sqrt(s2) * rng.standard_normal(200_000) if x is None
            else np.full(200_000, x))
    z = np.sqrt(a2) * data + np.sqrt(n2) * rng.standard_normal(data.size)
    guess = np.sqrt(a2) * s2 * z / (a2 * s2 + n2)          # Gaussian posterior mean
    assert within((data - guess) ** 2, gaussian_mmse(np.exp(lam), s2, x))


@pytest.mark.parametrize("x", [None, -0.8, 2.0])
def test_gaussian_diffusion_loss_is_half_the_integral_of_the_error(x):
    s2, lo, hi = 0.3, -4.0, 9.0
    exact = 0.5 * integrate.quad(lambda lam: np.exp(lam) * gaussian_mmse(np.exp(lam), s2, x),
                                 lo, hi, epsabs=1e-13, limit=200)[0]
    np.testing.assert_allclose(gaussian_diffusion_loss(s2, x, lo, hi), exact, rtol=1e-10)


def test_gaussian_loss_steps_is_the_explicit_sum():
    s2, x, T = 0.25, 0.6, 7
    v = np.exp(log_snr_cosine(np.arange(T + 1) / T))
    total = sum(0.5 * (v[i - 1] - v[i]) * (x ** 2 + v[i] * s2 ** 2) / (1 + v[i] * s2) ** 2
                for i in range(1, T + 1))
    np.testing.assert_allclose(gaussian_diffusion_loss_steps(s2, T, x, log_snr_cosine),
                               total, rtol=1e-13)


def test_gaussian_loss_steps_fall_to_the_continuous_loss():
    s2 = 0.5
    losses = [gaussian_diffusion_loss_steps(s2, 2 ** k) for k in range(0, 18)]
    assert np.all(np.diff(losses) <= 0)
    limit = gaussian_diffusion_loss(s2)
    assert losses[-1] > limit
    np.testing.assert_allclose(losses[-1], limit, rtol=1e-4)


def test_gaussian_prior_and_reconstruction_terms():
    s2, x = 0.7, np.array([-1.2, 0.0, 0.4])
    a2, n2 = vp_variances(LOG_SNR_MIN)
    np.testing.assert_allclose(gaussian_prior_term(s2, x),
                               kl_normal(np.sqrt(a2) * x, n2, 0.0, 1.0), rtol=1e-12)
    # averaged over x ~ N(0, s2), x^2 in the pointwise KL becomes s2
    np.testing.assert_allclose(gaussian_prior_term(s2),
                               0.5 * (a2 * s2 + n2 - 1 - np.log(n2)), rtol=1e-12)
    rng = np.random.default_rng(3)
    a0, n0 = vp_variances(LOG_SNR_MAX)
    z0 = np.sqrt(a0) * 0.3 + np.sqrt(n0) * rng.standard_normal(100_000)
    cost = -stats.norm.logpdf(0.3, z0 / np.sqrt(a0), np.sqrt(n0 / a0))
    assert within(cost, reconstruction_term())
    assert reconstruction_term(d=3) == pytest.approx(3 * reconstruction_term(), rel=1e-15)


def test_gaussian_neg_elbo_sums_the_terms_and_bounds_the_entropy():
    s2, x = 0.25, 0.9
    total = (reconstruction_term() + gaussian_prior_term(s2, x)
             + gaussian_diffusion_loss(s2, x))
    assert gaussian_neg_elbo(s2, x) == pytest.approx(total, rel=1e-14)
    assert gaussian_neg_log_likelihood(s2, x) == pytest.approx(
        -stats.norm.logpdf(x, 0, np.sqrt(s2)), rel=1e-14)
    assert gaussian_neg_log_likelihood(s2) == pytest.approx(
        stats.norm(0, np.sqrt(s2)).entropy(), rel=1e-14)
    for T in (None, 1, 10, 1000):
        assert gaussian_neg_elbo(s2, T=T) >= gaussian_neg_log_likelihood(s2)


# ---- the mixture -------------------------------------------------------------------

def test_denoiser_at_agrees_with_the_step_form():
    from helpers.diffusion import alphas_cumprod, cosine_betas
    betas = cosine_betas(50)
    abar = alphas_cumprod(betas)
    z = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_allclose(MIXTURE.denoiser_at(z, abar[19]), MIXTURE.denoiser(z, 20, betas),
                               rtol=1e-14)


@pytest.mark.parametrize("lam", [-3.0, 1.0, 7.0])
def test_mixture_mmse_against_monte_carlo(lam):
    rng = np.random.default_rng(5)
    a2, n2 = vp_variances(lam)
    x = MIXTURE.sample(100_000, rng)
    z = np.sqrt(a2) * x + np.sqrt(n2) * rng.standard_normal(x.shape)
    errors = np.sum((x - MIXTURE.denoiser_at(z, a2)) ** 2, axis=-1)
    assert within(errors, mixture_mmse(MIXTURE, lam))


def test_mixture_mmse_converges_in_the_nodes():
    lam = np.array([-2.0, 1.0, 3.0, 8.0])
    np.testing.assert_allclose(mixture_mmse(MIXTURE, lam, 64), mixture_mmse(MIXTURE, lam, 128),
                               rtol=1e-5)


def test_one_component_mixture_reproduces_the_gaussian_closed_forms():
    s2 = 0.3
    for d in (1, 2):
        single = one_component(s2, d)
        np.testing.assert_allclose(mixture_mmse(single, np.array([-2.0, 4.0])),
                                   d * gaussian_mmse(np.exp([-2.0, 4.0]), s2), rtol=1e-12)
        np.testing.assert_allclose(mixture_diffusion_loss(single),
                                   d * gaussian_diffusion_loss(s2), rtol=1e-10)
        np.testing.assert_allclose(mixture_diffusion_loss_steps(single, 16),
                                   d * gaussian_diffusion_loss_steps(s2, 16), rtol=1e-10)
        np.testing.assert_allclose(mixture_prior_term(single), d * gaussian_prior_term(s2),
                                   rtol=1e-12)
        np.testing.assert_allclose(mixture_neg_elbo(single), d * gaussian_neg_elbo(s2),
                                   rtol=1e-10)
        np.testing.assert_allclose(mixture_entropy(single),
                                   d * gaussian_neg_log_likelihood(s2), rtol=1e-12)


def test_mixture_prior_term_and_entropy_against_monte_carlo():
    rng = np.random.default_rng(8)
    x = MIXTURE.sample(200_000, rng)
    assert within(-MIXTURE.log_density(x), mixture_entropy(MIXTURE))
    a2, n2 = vp_variances(LOG_SNR_MIN)
    kl = 0.5 * np.sum(a2 * x ** 2 + n2 - 1 - np.log(n2), axis=-1)
    assert np.mean(kl) == pytest.approx(mixture_prior_term(MIXTURE), rel=1e-2)
    second = np.sum(MIXTURE.weights * (np.sum(MIXTURE.means ** 2, 1)
                                       + np.trace(MIXTURE.covs, axis1=1, axis2=2)))
    assert mixture_prior_term(MIXTURE) == pytest.approx(
        0.5 * (a2 * second + 2 * (n2 - 1 - np.log(n2))), rel=1e-14)


def test_mixture_steps_fall_and_bound_the_entropy():
    losses = [mixture_neg_elbo(MIXTURE, T=T, nodes=24) for T in (1, 2, 4, 8, 16, 32)]
    assert np.all(np.diff(losses) < 0)
    assert mixture_neg_elbo(MIXTURE) > mixture_entropy(MIXTURE)


# ---- 8-bit data ----------------------------------------------------------------------

def test_pixel_levels():
    levels = pixel_levels(8)
    assert levels.size == 256 and levels[0] == -1 and levels[-1] == 1
    np.testing.assert_allclose(np.diff(levels), 2 / 255, rtol=1e-12)


@pytest.mark.parametrize("mean,var", [(0.0, 0.01), (0.97, 1e-6), (-3.0, 2.0), (0.5, 1e-9)])
def test_discretized_decoder_sums_to_one_and_matches_the_cdf(mean, var):
    levels = pixel_levels()
    log_p = discretized_gaussian_log_likelihood(levels, mean, var)
    assert np.all(np.isfinite(log_p))
    assert np.exp(log_p).sum() == pytest.approx(1.0, rel=1e-12)
    sd, h = np.sqrt(var), 1 / 255
    inner = levels[1:-1]
    law = stats.norm(mean, sd)
    cdf = law.cdf
    # the reference takes each difference in the tail where it does not cancel
    expected = np.where(inner - h > mean, law.sf(inner - h) - law.sf(inner + h),
                        cdf(inner + h) - cdf(inner - h))
    big = expected > 1e-200
    np.testing.assert_allclose(np.exp(log_p[1:-1])[big], expected[big], rtol=1e-9,
                               atol=1e-300)
    assert np.exp(log_p[0]) == pytest.approx(cdf(-1 + h), rel=1e-9, abs=1e-300)
    assert np.exp(log_p[-1]) == pytest.approx(stats.norm(mean, sd).sf(1 - h), rel=1e-9,
                                            abs=1e-300)


def test_discretized_decoder_is_accurate_far_in_the_tails():
    # a bin 40 standard deviations above the mean: log P from the asymptotic tail
    x = pixel_levels()[200]
    sd = (x - 1 / 255) / 40
    log_p = discretized_gaussian_log_likelihood(x, 0.0, sd ** 2)
    assert log_p == pytest.approx(stats.norm.logsf(40), rel=1e-6)


def test_bits_per_dim():
    assert bits_per_dim(np.log(2) * 3072 * 3.5, 3072) == pytest.approx(3.5, rel=1e-15)


# ---- bad input --------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: log_snr_linear(0.5, 3.0, 1.0),
    lambda: log_snr_linear(1.5),
    lambda: log_snr_cosine(np.nan),
    lambda: vp_variances("a"),
    lambda: gaussian_mmse(-1.0, 0.3),
    lambda: gaussian_mmse(1.0, 0.0),
    lambda: gaussian_mmse(1.0, 0.3, np.inf),
    lambda: gaussian_diffusion_loss(-0.3),
    lambda: gaussian_diffusion_loss_steps(0.3, 0),
    lambda: gaussian_diffusion_loss_steps(0.3, 2.0),
    lambda: gaussian_diffusion_loss_steps(0.3, 4, log_snr=lambda t, **kw: -log_snr_linear(t)),
    lambda: reconstruction_term(d=0),
    lambda: mixture_mmse(MIXTURE, 1.0, nodes=1),
    lambda: mixture_mmse(MIXTURE, np.inf),
    lambda: mixture_diffusion_loss(MIXTURE, snr_nodes=1),
    lambda: mixture_entropy(MIXTURE, nodes=True),
    lambda: MIXTURE.denoiser_at(np.zeros((3, 2)), 1.5),
    lambda: MIXTURE.denoiser_at(np.zeros((3, 2)), np.ones(2) * 0.5),
    lambda: MIXTURE.denoising_error(1.0),
    lambda: pixel_levels(0),
    lambda: discretized_gaussian_log_likelihood(0.5, 0.0, 1.0),
    lambda: discretized_gaussian_log_likelihood(1.0 + 2 / 255, 0.0, 1.0),
    lambda: discretized_gaussian_log_likelihood(1.0, 0.0, 0.0),
    lambda: bits_per_dim(1.0, 0),
])
def test_bad_input_gets_a_clear_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("call", [
    lambda: mixture_mmse("mixture", 1.0),
    lambda: gaussian_diffusion_loss_steps(0.3, 4, log_snr="linear"),
])
def test_wrong_types_get_a_type_error(call):
    with pytest.raises(TypeError):
        call()
