"""The diffusion bound in continuous time, in signal-to-noise form (Kingma et al. 2021).

A variance-preserving forward process q(z_t | x) = N(alpha_t x, sigma_t^2 I) with
alpha_t^2 + sigma_t^2 = 1, written through its log signal-to-noise ratio
lambda(t) = log SNR(t) = log(alpha_t^2 / sigma_t^2), which falls from
``log_snr_max`` at t = 0 to ``log_snr_min`` at t = 1.  The defaults are those of
Variational Diffusion Models: lambda runs from 13.3 down to -5.0 (their
gamma(t) = -lambda(t) is linear from -13.3 to 5.0).  Book chapter: vdm.md.

The -ELBO of one data point has three terms (eq-vdm-steps):

- reconstruction: -E log p(x | z_0) with the decoder N(z_0 / alpha_0, 1 / SNR(0));
- prior: KL(q(z_1 | x) || N(0, I));
- diffusion: (1/2) sum_i (SNR(s_i) - SNR(t_i)) E||x - xhat(z_{t_i})||^2 for T steps
  (eq-vdm-steps), (1/2) int_{SNR(1)}^{SNR(0)} E||x - xhat(z_v)||^2 dv in the limit
  (eq-vdm-continuous).

For data x ~ N(0, s2) in one dimension with the Bayes-optimal denoiser every term
is in closed form (``gaussian_*``; pass ``x=None`` for the average over the data).
For a :class:`~helpers.diffusion.GaussianMixture` the terms averaged over the
data are computed by quadrature (``mixture_*``).  Also: Ho et al.'s
discretised Gaussian decoder for 8-bit data and the conversion to bits per
dimension.  Variances, not standard deviations; natural logarithms.
Bad input raises ``ValueError`` naming the argument and the rule it broke.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.special import expit, log_ndtr

from helpers.diffusion import GaussianMixture
from helpers.gaussian import standard_normal_rule
from helpers.validation import count, function
from helpers.validation import real_array as _array
from helpers.validation import real_scalar as _scalar

__all__ = [
    "LOG_SNR_MAX", "LOG_SNR_MIN", "SNR_NODES", "NOISE_NODES", "log_snr_linear",
    "log_snr_cosine", "vp_variances",
    "gaussian_mmse", "gaussian_diffusion_loss", "gaussian_diffusion_loss_steps",
    "gaussian_prior_term", "reconstruction_term", "gaussian_neg_elbo",
    "gaussian_neg_log_likelihood", "mixture_mmse", "mixture_diffusion_loss",
    "mixture_diffusion_loss_steps", "mixture_prior_term", "mixture_neg_elbo",
    "mixture_entropy", "pixel_levels", "discretized_gaussian_log_likelihood",
    "bits_per_dim",
]

#: VDM's end points of the log signal-to-noise ratio, at t = 0 and t = 1.
LOG_SNR_MAX, LOG_SNR_MIN = 13.3, -5.0

Schedule = Callable[[np.ndarray], np.ndarray]


# ---- validation ----------------------------------------------------------------

def _endpoints(log_snr_min, log_snr_max):
    low, high = _scalar("log_snr_min", log_snr_min), _scalar("log_snr_max", log_snr_max)
    if not low < high:
        raise ValueError(f"log_snr_min must be below log_snr_max, got {low} >= {high}")
    return low, high


def _times(t):
    t = _array("t", t)
    if np.any((t < 0) | (t > 1)):
        raise ValueError("t must lie in [0, 1]")
    return t


def _variance(name, value):
    value = _scalar(name, value)
    if not value > 0:
        raise ValueError(f"{name} must be a positive variance, got {value}")
    return value


def _steps_count(T):
    return count("T", T)


def _schedule(log_snr, log_snr_min, log_snr_max):
    """The log-SNR at t = 0..1 as a function; it must fall from max to min."""
    function("log_snr", log_snr)
    low, high = _endpoints(log_snr_min, log_snr_max)

    def at(t):
        return log_snr(t, log_snr_min=low, log_snr_max=high)
    ends = at(np.array([0.0, 1.0]))
    if not np.allclose(ends, [high, low], rtol=0, atol=1e-9):
        raise ValueError(f"log_snr must run from log_snr_max at t = 0 to log_snr_min at "
                         f"t = 1, got {ends[0]} and {ends[1]}")
    return at


# ---- schedules -------------------------------------------------------------------

def log_snr_linear(t, log_snr_min=LOG_SNR_MIN, log_snr_max=LOG_SNR_MAX):
    """lambda(t) = lambda_max - (lambda_max - lambda_min) t: VDM's linear gamma
    (eq-vdm-schedules)."""
    low, high = _endpoints(log_snr_min, log_snr_max)
    return high - (high - low) * _times(t)


def log_snr_cosine(t, log_snr_min=LOG_SNR_MIN, log_snr_max=LOG_SNR_MAX):
    """lambda(t) = -2 log tan(a + (b - a) t), the cosine schedule of Nichol &
    Dhariwal (alpha_t = cos(pi u / 2)) with u rescaled so that it has the same end
    points: a = arctan(exp(-lambda_max / 2)), b = arctan(exp(-lambda_min / 2))
    (eq-vdm-schedules)."""
    low, high = _endpoints(log_snr_min, log_snr_max)
    a, b = np.arctan(np.exp(-high / 2)), np.arctan(np.exp(-low / 2))
    return -2 * np.log(np.tan(a + (b - a) * _times(t)))


def vp_variances(log_snr):
    """(alpha^2, sigma^2) = (sigmoid(lambda), sigmoid(-lambda)) of the
    variance-preserving process at log-SNR lambda."""
    log_snr = _array("log_snr", log_snr)
    return expit(log_snr), expit(-log_snr)


# ---- Gaussian data x ~ N(0, s2), Bayes-optimal denoiser ---------------------------

def gaussian_mmse(snr, s2, x=None):
    """E_eps (x - E[x | z])^2 at signal-to-noise ratio ``snr`` (eq-vdm-gaussian-mmse):
    (x^2 + snr s2^2) / (1 + snr s2)^2 for a data point x, and s2 / (1 + snr s2)
    averaged over the data (``x=None``)."""
    snr, s2 = _array("snr", snr), _variance("s2", s2)
    if np.any(snr < 0):
        raise ValueError("snr must be non-negative")
    if x is None:
        return s2 / (1 + snr * s2)
    x = _array("x", x)
    return (x ** 2 + snr * s2 ** 2) / (1 + snr * s2) ** 2


def gaussian_diffusion_loss(s2, x=None, log_snr_min=LOG_SNR_MIN, log_snr_max=LOG_SNR_MAX):
    """The continuous-time diffusion loss (eq-vdm-gaussian-loss),

    (1/2) [log((1 + v_max s2) / (1 + v_min s2))
           + (x^2 / s2 - 1) (1 / (1 + v_min s2) - 1 / (1 + v_max s2))],

    v = exp(lambda) at the two end points; ``x=None`` averages over the data, which
    removes the second term.  The same for every schedule with these end points.
    """
    s2 = _variance("s2", s2)
    low, high = _endpoints(log_snr_min, log_snr_max)
    a, b = 1 + np.exp(low) * s2, 1 + np.exp(high) * s2
    loss = 0.5 * (np.log(b) - np.log(a))
    if x is None:
        return loss
    x = _array("x", x)
    return loss + 0.5 * (x ** 2 / s2 - 1) * (1 / a - 1 / b)


def _riemann(snr_grid, error):
    """(1/2) sum_i (v_{i-1} - v_i) error(v_i): each step weighs the error at its noisier end."""
    return 0.5 * np.sum(-np.diff(snr_grid, axis=-1) * error[..., 1:], axis=-1)


def _snr_grid(T, log_snr, log_snr_min, log_snr_max):
    at = _schedule(log_snr, log_snr_min, log_snr_max)
    return np.exp(at(np.arange(_steps_count(T) + 1) / T))


def gaussian_diffusion_loss_steps(s2, T, x=None, log_snr=log_snr_linear,
                                  log_snr_min=LOG_SNR_MIN, log_snr_max=LOG_SNR_MAX):
    """The T-step diffusion loss (eq-vdm-steps) with the Bayes-optimal denoiser,
    (1/2) sum_{i=1}^T (SNR(s_i) - SNR(t_i)) mmse(SNR(t_i)), t_i = i / T, s_i = t_i - 1/T."""
    s2 = _variance("s2", s2)
    v = _snr_grid(T, log_snr, log_snr_min, log_snr_max)
    if x is None:
        return _riemann(v, gaussian_mmse(v, s2))
    x = _array("x", x)
    return _riemann(v, gaussian_mmse(v, s2, x[..., None]))


def gaussian_prior_term(s2, x=None, log_snr_min=LOG_SNR_MIN):
    """KL(q(z_1 | x) || N(0, 1)) = (alpha_1^2 x^2 + sigma_1^2 - 1 - log sigma_1^2) / 2,
    with x^2 replaced by s2 for ``x=None`` (the average over the data)."""
    s2 = _variance("s2", s2)
    a2, sig2 = vp_variances(_scalar("log_snr_min", log_snr_min))
    x2 = s2 if x is None else _array("x", x) ** 2
    return 0.5 * (a2 * x2 + sig2 - 1 - np.log(sig2))


def reconstruction_term(log_snr_max=LOG_SNR_MAX, d=1):
    """-E log N(x; z_0 / alpha_0, exp(-lambda_max)) = d/2 (log(2 pi) - lambda_max + 1):
    the decoder is Gaussian with the forward noise's variance seen from x, so the
    term is the same for every data point (eq-vdm-steps)."""
    high = _scalar("log_snr_max", log_snr_max)
    return 0.5 * count("d", d) * (np.log(2 * np.pi) - high + 1)


def gaussian_neg_elbo(s2, x=None, T=None, log_snr=log_snr_linear,
                      log_snr_min=LOG_SNR_MIN, log_snr_max=LOG_SNR_MAX):
    """-ELBO = reconstruction + prior + diffusion (eq-vdm-steps) for Gaussian data,
    continuous time for ``T=None``, else T steps of the schedule ``log_snr``."""
    if T is None:
        diffusion = gaussian_diffusion_loss(s2, x, log_snr_min, log_snr_max)
    else:
        diffusion = gaussian_diffusion_loss_steps(s2, T, x, log_snr, log_snr_min,
                                                  log_snr_max)
    return (reconstruction_term(log_snr_max) + gaussian_prior_term(s2, x, log_snr_min)
            + diffusion)


def gaussian_neg_log_likelihood(s2, x=None):
    """-log N(x; 0, s2); for ``x=None`` its average, the entropy (1/2) log(2 pi e s2)."""
    s2 = _variance("s2", s2)
    x2 = s2 if x is None else _array("x", x) ** 2
    return 0.5 * (np.log(2 * np.pi * s2) + x2 / s2)


# ---- the Gaussian mixture, by quadrature -------------------------------------------

#: Gauss-Legendre nodes over log-SNR for the continuous loss of the mixture
#: (``snr_nodes=None``).
SNR_NODES = 96
#: Gauss-Hermite nodes per coordinate for the mixture's denoising error and entropy
#: (``nodes=None``).
NOISE_NODES = 64


def _mixture(mixture):
    if not isinstance(mixture, GaussianMixture):
        raise TypeError(f"mixture must be a helpers.diffusion.GaussianMixture, "
                        f"got {type(mixture).__name__}")
    return mixture


def mixture_mmse(mixture, log_snr, nodes=None):
    """E||x - E[x | z]||^2 over the mixture's data and the noise, at each log-SNR
    (:meth:`~helpers.diffusion.GaussianMixture.denoising_error`)."""
    alpha2 = vp_variances(log_snr)[0]
    nodes = NOISE_NODES if nodes is None else nodes
    return _mixture(mixture).denoising_error(alpha2, nodes)


def mixture_diffusion_loss(mixture, log_snr_min=LOG_SNR_MIN, log_snr_max=LOG_SNR_MAX,
                           snr_nodes=None, nodes=None):
    """(1/2) int_{lambda_min}^{lambda_max} SNR mmse(SNR) d lambda, the continuous loss
    averaged over the mixture (eq-vdm-continuous after dv = v d lambda), by
    Gauss-Legendre quadrature in lambda with ``snr_nodes`` nodes."""
    low, high = _endpoints(log_snr_min, log_snr_max)
    snr_nodes = SNR_NODES if snr_nodes is None else snr_nodes
    u, w = np.polynomial.legendre.leggauss(count("snr_nodes", snr_nodes, minimum=2))
    lam = low + (high - low) * (u + 1) / 2
    integrand = np.exp(lam) * mixture_mmse(mixture, lam, nodes)
    return 0.25 * (high - low) * np.sum(w * integrand)


def mixture_diffusion_loss_steps(mixture, T, log_snr=log_snr_linear,
                                 log_snr_min=LOG_SNR_MIN, log_snr_max=LOG_SNR_MAX,
                                 nodes=None):
    """The T-step loss (eq-vdm-steps) averaged over the mixture, ideal denoiser."""
    v = _snr_grid(T, log_snr, log_snr_min, log_snr_max)
    error = np.concatenate([[0.0], mixture_mmse(mixture, np.log(v[1:]), nodes)])
    return _riemann(v, error)


def mixture_prior_term(mixture, log_snr_min=LOG_SNR_MIN):
    """E_x KL(N(alpha_1 x, sigma_1^2 I) || N(0, I)), exact from the data's second moment."""
    mixture = _mixture(mixture)
    a2, sig2 = vp_variances(_scalar("log_snr_min", log_snr_min))
    second = np.sum(mixture.weights * (np.sum(mixture.means ** 2, axis=1)
                                       + np.trace(mixture.covs, axis1=1, axis2=2)))
    return 0.5 * (a2 * second + mixture.dim * (sig2 - 1 - np.log(sig2)))


def mixture_neg_elbo(mixture, T=None, log_snr=log_snr_linear, log_snr_min=LOG_SNR_MIN,
                     log_snr_max=LOG_SNR_MAX, nodes=None):
    """E_x[-ELBO(x)] for the mixture with its ideal denoiser (eq-vdm-steps)."""
    if T is None:
        diffusion = mixture_diffusion_loss(mixture, log_snr_min, log_snr_max, nodes=nodes)
    else:
        diffusion = mixture_diffusion_loss_steps(mixture, T, log_snr, log_snr_min,
                                                 log_snr_max, nodes)
    return (reconstruction_term(log_snr_max, _mixture(mixture).dim)
            + mixture_prior_term(mixture, log_snr_min) + diffusion)


def mixture_entropy(mixture, nodes=None):
    """H[q] = -E log q(x) of the mixture, by Gauss-Hermite quadrature under each
    component: the exact average -log-likelihood the bound is compared with."""
    mixture = _mixture(mixture)
    nodes = count("nodes", NOISE_NODES if nodes is None else nodes, minimum=2)
    grid, weight = standard_normal_rule(nodes, mixture.dim)
    total = 0.0
    for k in range(mixture.weights.size):
        root = np.linalg.cholesky(mixture.covs[k])
        x = mixture.means[k] + grid @ root.T
        total -= mixture.weights[k] * np.sum(weight * mixture.log_density(x))
    return total


# ---- 8-bit data: the discretised decoder and bits per dimension --------------------

def pixel_levels(bits=8):
    """The 2^bits data values on [-1, 1]: -1 + 2k / (2^bits - 1), k = 0..2^bits - 1."""
    if count("bits", bits) > 16:
        raise ValueError(f"bits must be an integer in 1..16, got {bits!r}")
    n = 2 ** int(bits)
    return -1 + 2 * np.arange(n) / (n - 1)


def discretized_gaussian_log_likelihood(x, mean, var, bits=8):
    """log P(x) per coordinate for Ho et al.'s discretised decoder (their eq. 13):
    the mass of N(mean, var) on the bin [x - h, x + h], h = 1 / (2^bits - 1), with the
    bins of the two end values x = -1 and x = 1 extended to -inf and +inf."""
    levels = pixel_levels(bits)
    x, mean, var = _array("x", x), _array("mean", mean), _array("var", var)
    if np.any(var <= 0):
        raise ValueError("var must be positive")
    index = np.rint((x + 1) * (levels.size - 1) / 2)
    if np.any(np.abs(levels[np.clip(index, 0, levels.size - 1).astype(int)] - x) > 1e-9) \
            or np.any((index < 0) | (index > levels.size - 1)):
        raise ValueError(f"x must hold {bits}-bit values -1 + 2k/{levels.size - 1} in [-1, 1]")
    try:
        x, mean, var = np.broadcast_arrays(x, mean, var)
    except ValueError as err:
        raise ValueError(f"x, mean and var must broadcast together: {err}") from None
    h, sd = 1 / (levels.size - 1), np.sqrt(var)
    upper, lower = (x + h - mean) / sd, (x - h - mean) / sd
    top, bottom = index == levels.size - 1, index == 0
    # log(Phi(b) - Phi(a)) = log Phi(b) + log1p(-Phi(a) / Phi(b)), taken in the lower
    # tail (mirrored when the bin lies above the mean) so nothing cancels
    flip = lower > 0
    a, b = np.where(flip, -upper, lower), np.where(flip, -lower, upper)
    mid = log_ndtr(b) + np.log1p(-np.exp(log_ndtr(a) - log_ndtr(b)))
    return np.where(top, log_ndtr(-lower), np.where(bottom, log_ndtr(upper), mid))


def bits_per_dim(nats, dims):
    """A negative log-likelihood in nats as bits per dimension: nats / (dims log 2)."""
    nats = _array("nats", nats)
    return nats / (count("dims", dims) * np.log(2))
