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


# ---- the remaining arguments and branches, against closed forms ---------------------

def test_reconstruction_term_is_the_decoders_entropy():
    # x - z_0 / alpha_0 ~ N(0, exp(-lambda_max)): the term is that normal's entropy, d times
    for high in (-1.0, 2.0, 13.3):
        law = stats.norm(0, np.sqrt(np.exp(-high)))
        assert reconstruction_term(high, d=2) == pytest.approx(2 * law.entropy(), rel=1e-13)


def test_gaussian_mmse_without_signal_is_the_prior_error():
    # snr = 0: E[x | z] = E[x] = 0, so the error is x^2 (s2 on average over the data)
    assert gaussian_mmse(0.0, 0.4) == pytest.approx(0.4, rel=1e-15)
    np.testing.assert_allclose(gaussian_mmse(0.0, 0.4, np.array([-1.5, 2.0])), [2.25, 4.0],
                               rtol=1e-15)


def test_gaussian_loss_steps_for_many_points_is_the_explicit_sum_for_each():
    s2, T, x = 0.6, 5, np.array([[-1.0, 0.0, 0.3], [2.0, 0.5, -0.2]])
    v = np.exp(log_snr_linear(np.arange(T + 1) / T, -2.0, 6.0))
    got = gaussian_diffusion_loss_steps(s2, T, x, log_snr_min=-2.0, log_snr_max=6.0)
    assert got.shape == x.shape
    for value, point in zip(got.ravel(), x.ravel()):
        total = sum(0.5 * (v[i - 1] - v[i]) * (point ** 2 + v[i] * s2 ** 2) / (1 + v[i] * s2) ** 2
                    for i in range(1, T + 1))
        assert value == pytest.approx(total, rel=1e-13)


def expit_pair(lam):
    """(alpha^2, sigma^2) with alpha^2 + sigma^2 = 1 and alpha^2 / sigma^2 = exp(lam)."""
    return 1 / (1 + np.exp(-lam)), 1 / (1 + np.exp(lam))


def gaussian_ends(s2, x, low, high):
    """Reconstruction (the decoder's entropy) + prior KL (helpers.gaussian's KL) for a point x."""
    a2, n2 = expit_pair(low)
    return stats.norm(0, np.sqrt(np.exp(-high))).entropy() + kl_normal(np.sqrt(a2) * x, n2, 0.0, 1.0)


def gaussian_steps_sum(s2, x, T, log_snr, low, high):
    """The T-step diffusion loss as an explicit loop over the steps."""
    v = np.exp(log_snr(np.arange(T + 1) / T, low, high))
    return sum(0.5 * (v[i - 1] - v[i]) * (x ** 2 + v[i] * s2 ** 2) / (1 + v[i] * s2) ** 2
               for i in range(1, T + 1))


@pytest.mark.parametrize("schedule", [log_snr_linear, log_snr_cosine])
def test_gaussian_neg_elbo_passes_every_argument_on(schedule):
    s2, x, T, low, high = 0.3, 0.8, 6, -3.0, 8.0
    assert gaussian_neg_elbo(s2, x, T, schedule, low, high) == pytest.approx(
        gaussian_ends(s2, x, low, high) + gaussian_steps_sum(s2, x, T, schedule, low, high),
        rel=1e-13)
    # continuous time: (1/2) int exp(lam) mmse(exp(lam)) dlam over [low, high], by scipy
    loss = 0.5 * integrate.quad(lambda lam: np.exp(lam) * (x ** 2 + np.exp(lam) * s2 ** 2)
                                / (1 + np.exp(lam) * s2) ** 2, low, high, epsabs=1e-13)[0]
    assert gaussian_neg_elbo(s2, x, None, schedule, low, high) == pytest.approx(
        gaussian_ends(s2, x, low, high) + loss, rel=1e-10)


@pytest.mark.parametrize("d", [1, 2])
def test_one_component_mixture_passes_every_argument_on(d):
    """A one-component mixture N(0, s2 I) against d times the Gaussian closed forms, at
    end points, schedule and node counts other than the defaults."""
    s2, low, high, T = 0.45, -3.0, 6.0, 5
    single = one_component(s2, d)
    a2, n2 = expit_pair(low)
    prior = 0.5 * (a2 * s2 + n2 - 1 - np.log(n2))           # E_x KL, x^2 -> s2
    np.testing.assert_allclose(mixture_prior_term(single, low), d * prior, rtol=1e-12)
    steps = gaussian_steps_sum(s2, np.sqrt(s2), T, log_snr_cosine, low, high)   # x^2 -> s2
    np.testing.assert_allclose(
        mixture_diffusion_loss_steps(single, T, log_snr_cosine, low, high, nodes=3), d * steps,
        rtol=1e-12)
    loss = 0.5 * (np.log(1 + np.exp(high) * s2) - np.log(1 + np.exp(low) * s2))
    np.testing.assert_allclose(mixture_diffusion_loss(single, low, high, snr_nodes=40, nodes=3),
                               d * loss, rtol=1e-12)
    recon = stats.norm(0, np.sqrt(np.exp(-high))).entropy()
    np.testing.assert_allclose(mixture_neg_elbo(single, None, log_snr_cosine, low, high, nodes=3),
                               d * (recon + prior + loss), rtol=1e-12)
    np.testing.assert_allclose(
        mixture_neg_elbo(single, T, log_snr_cosine, low, high, nodes=3),
        d * (recon + prior + steps), rtol=1e-12)
    np.testing.assert_allclose(mixture_entropy(single, nodes=2), d * 0.5 * np.log(2 * np.pi * np.e * s2),
                               rtol=1e-13)      # two Gauss-Hermite nodes integrate x^2 exactly


def test_pixel_levels_at_the_extreme_bit_depths():
    assert pixel_levels(1).tolist() == [-1.0, 1.0]
    levels = pixel_levels(16)
    assert levels.size == 2 ** 16 and levels[0] == -1 and levels[-1] == 1
    np.testing.assert_allclose(np.diff(levels), 2 / (2 ** 16 - 1), rtol=1e-9)


@pytest.mark.parametrize("bits", [1, 3])
def test_discretized_decoder_at_low_bit_depths_matches_scipy(bits):
    levels, mean, var = pixel_levels(bits), np.array([[-0.4], [0.3]]), 0.2
    law, h = stats.norm(mean, np.sqrt(var)), 1 / (2 ** bits - 1)
    edges = np.concatenate([[-np.inf], levels[:-1] + h, [np.inf]])     # bin boundaries
    expected = np.diff(law.cdf(edges), axis=-1)
    got = np.exp(discretized_gaussian_log_likelihood(levels, mean, var, bits=bits))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_discretized_decoder_accepts_values_within_rounding_of_a_level():
    x = pixel_levels()[[0, 100, 255]] + np.array([1e-12, -1e-12, -1e-12])
    np.testing.assert_allclose(discretized_gaussian_log_likelihood(x, 0.1, 0.3),
                               discretized_gaussian_log_likelihood(pixel_levels()[[0, 100, 255]], 0.1, 0.3),
                               rtol=1e-9)


def test_schedule_end_points_are_checked_to_within_1e_9():
    # a schedule off by 5e-9 at its end points is refused; one off by 1e-12 is accepted
    def shifted(by):
        return lambda t, **kw: log_snr_linear(t, **kw) + by
    with pytest.raises(ValueError, match="log_snr must run from log_snr_max"):
        gaussian_diffusion_loss_steps(0.3, 4, log_snr=shifted(5e-9))
    assert gaussian_diffusion_loss_steps(0.3, 4, log_snr=shifted(1e-12)) == pytest.approx(
        gaussian_diffusion_loss_steps(0.3, 4), rel=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: log_snr_linear(0.5, 3.0, 3.0), "log_snr_min must be below log_snr_max, got 3.0 >= 3.0"),
    (lambda: log_snr_cosine(-0.5), "t must lie in [0, 1]"),
    (lambda: log_snr_linear(np.nan), "t must be finite"),
    (lambda: log_snr_linear(0.5, np.nan), "log_snr_min must be finite"),
    (lambda: log_snr_linear(0.5, -5.0, np.inf), "log_snr_max must be finite"),
    (lambda: gaussian_diffusion_loss_steps(0.3, 4, log_snr=lambda t, **kw: -log_snr_linear(t)),
     "log_snr must run from log_snr_max at t = 0 to log_snr_min at t = 1, got -13.3 and 5.0"),
    (lambda: mixture_mmse("m", 1.0), "mixture must be a helpers.diffusion.GaussianMixture, got str"),
    (lambda: mixture_prior_term(None), "mixture must be a helpers.diffusion.GaussianMixture, got NoneType"),
    (lambda: pixel_levels(17), "bits must be an integer in 1..16, got 17"),
    (lambda: discretized_gaussian_log_likelihood(-1 - 2 / 255, 0.0, 1.0),
     "x must hold 8-bit values -1 + 2k/255 in [-1, 1]"),
    (lambda: discretized_gaussian_log_likelihood(-1000.0, 0.0, 1.0),       # far below the grid
     "x must hold 8-bit values -1 + 2k/255 in [-1, 1]"),
    (lambda: discretized_gaussian_log_likelihood(1000.0, 0.0, 1.0),
     "x must hold 8-bit values -1 + 2k/255 in [-1, 1]"),
    (lambda: discretized_gaussian_log_likelihood(0.5, 0.0, 1.0, bits=2),
     "x must hold 2-bit values -1 + 2k/3 in [-1, 1]"),
    (lambda: discretized_gaussian_log_likelihood(pixel_levels()[:2], np.zeros(3), 1.0),
     "x, mean and var must broadcast together"),
    (lambda: discretized_gaussian_log_likelihood(1.0, 0.0, -1.0), "var must be positive"),
    (lambda: gaussian_mmse(-1.0, 0.3), "snr must be non-negative"),
    (lambda: gaussian_prior_term(0.0), "s2 must be a positive variance, got 0.0"),
    (lambda: mixture_diffusion_loss(MIXTURE, snr_nodes=1), "snr_nodes"),
    (lambda: mixture_entropy(MIXTURE, nodes=1), "nodes"),
    (lambda: bits_per_dim(1.0, 0), "dims"),
])
def test_error_messages_say_what_is_wrong(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert message in str(info.value)


@pytest.mark.parametrize("name, call", [
    ("t", lambda: log_snr_linear(np.nan)),
    ("t", lambda: log_snr_cosine(np.nan)),
    ("log_snr_min", lambda: log_snr_linear(0.5, np.nan)),
    ("log_snr_max", lambda: log_snr_cosine(0.5, -5.0, np.nan)),
    ("log_snr", lambda: vp_variances(np.nan)),
    ("snr", lambda: gaussian_mmse(np.nan, 0.3)),
    ("s2", lambda: gaussian_mmse(1.0, np.nan)),
    ("x", lambda: gaussian_mmse(1.0, 0.3, np.nan)),
    ("s2", lambda: gaussian_diffusion_loss(np.nan)),
    ("x", lambda: gaussian_diffusion_loss(0.3, np.nan)),
    ("log_snr_min", lambda: gaussian_diffusion_loss(0.3, None, np.nan)),
    ("s2", lambda: gaussian_diffusion_loss_steps(np.nan, 4)),
    ("T", lambda: gaussian_diffusion_loss_steps(0.3, 0)),
    ("x", lambda: gaussian_diffusion_loss_steps(0.3, 4, np.nan)),
    ("log_snr", lambda: gaussian_diffusion_loss_steps(0.3, 4, None, "linear")),
    ("log_snr_max", lambda: gaussian_diffusion_loss_steps(0.3, 4, log_snr_max=np.nan)),
    ("s2", lambda: gaussian_prior_term(np.nan)),
    ("x", lambda: gaussian_prior_term(0.3, np.nan)),
    ("log_snr_min", lambda: gaussian_prior_term(0.3, None, np.nan)),
    ("log_snr_max", lambda: reconstruction_term(np.nan)),
    ("d", lambda: reconstruction_term(13.3, 0)),
    ("s2", lambda: gaussian_neg_elbo(np.nan)),
    ("T", lambda: gaussian_neg_elbo(0.3, T=0)),
    ("s2", lambda: gaussian_neg_log_likelihood(np.nan)),
    ("x", lambda: gaussian_neg_log_likelihood(0.3, np.nan)),
    ("log_snr", lambda: mixture_mmse(MIXTURE, np.nan)),
    ("nodes", lambda: mixture_mmse(MIXTURE, 1.0, nodes=1)),
    ("mixture", lambda: mixture_mmse(None, 1.0)),
    ("log_snr_min", lambda: mixture_diffusion_loss(MIXTURE, np.nan)),
    ("snr_nodes", lambda: mixture_diffusion_loss(MIXTURE, snr_nodes=1)),
    ("T", lambda: mixture_diffusion_loss_steps(MIXTURE, 0)),
    ("log_snr", lambda: mixture_diffusion_loss_steps(MIXTURE, 4, "linear")),
    ("log_snr_min", lambda: mixture_prior_term(MIXTURE, np.nan)),
    ("mixture", lambda: mixture_neg_elbo(3.0)),
    ("T", lambda: mixture_neg_elbo(MIXTURE, T=0)),
    ("nodes", lambda: mixture_entropy(MIXTURE, nodes=1)),
    ("mixture", lambda: mixture_entropy([])),
    ("bits", lambda: pixel_levels(0)),
    ("bits", lambda: discretized_gaussian_log_likelihood(1.0, 0.0, 1.0, bits=0)),
    ("x", lambda: discretized_gaussian_log_likelihood(np.nan, 0.0, 1.0)),
    ("mean", lambda: discretized_gaussian_log_likelihood(1.0, np.nan, 1.0)),
    ("var", lambda: discretized_gaussian_log_likelihood(1.0, 0.0, np.nan)),
    ("nats", lambda: bits_per_dim(np.nan, 3)),
    ("dims", lambda: bits_per_dim(1.0, 0)),
])
def test_each_bad_argument_is_named_first_in_its_error(name, call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert str(info.value).startswith(name + " "), str(info.value)


def test_mixture_losses_use_the_requested_node_counts():
    """Two-point Gauss-Legendre (nodes -+1/sqrt(3), weights 1) in lambda, and the two-step sum,
    each with the mixture's error at 2 Gauss-Hermite nodes: a coarse rule that differs from
    the default one, so the node counts must be passed on."""
    low, high = -2.0, 4.0
    lam = low + (high - low) * (1 + np.array([-1.0, 1.0]) / np.sqrt(3)) / 2
    coarse = 0.25 * (high - low) * np.sum(np.exp(lam) * mixture_mmse(MIXTURE, lam, nodes=2))
    assert mixture_diffusion_loss(MIXTURE, low, high, snr_nodes=2, nodes=2) == pytest.approx(
        coarse, rel=1e-12)
    v = np.exp(log_snr_linear(np.array([0.0, 0.5, 1.0]), low, high))
    two_steps = 0.5 * np.sum((v[:-1] - v[1:]) * mixture_mmse(MIXTURE, np.log(v[1:]), nodes=2))
    assert mixture_diffusion_loss_steps(MIXTURE, 2, log_snr_linear, low, high, nodes=2) == \
        pytest.approx(two_steps, rel=1e-12)
    assert mixture_neg_elbo(MIXTURE, 2, log_snr_linear, low, high, nodes=2) == pytest.approx(
        reconstruction_term(high, 2) + mixture_prior_term(MIXTURE, low) + two_steps, rel=1e-12)
    # continuous time: the same terms with the 2-node error inside the default lambda rule
    assert mixture_neg_elbo(MIXTURE, None, log_snr_linear, low, high, nodes=2) == pytest.approx(
        reconstruction_term(high, 2) + mixture_prior_term(MIXTURE, low)
        + mixture_diffusion_loss(MIXTURE, low, high, nodes=2), rel=1e-12)
