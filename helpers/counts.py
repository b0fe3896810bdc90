"""Count likelihoods for single-cell data, and a small latent model fitted by its ELBO.

Negative binomial with mean ``mu > 0`` and inverse dispersion ``theta > 0``
(book: ch-scvi, eq-scvi-nb)::

    NB(x; mu, theta) = Gamma(x + theta) / (Gamma(theta) x!)
                       (theta / (theta + mu))^theta (mu / (theta + mu))^x,

with mean ``mu`` and variance ``mu + mu^2 / theta`` (eq-scvi-nb-moments).  The
zero-inflated negative binomial mixes it with a point mass at zero of weight
``0 <= pi < 1`` (eq-scvi-zinb): ``ZINB(x) = pi [x = 0] + (1 - pi) NB(x)``.

The log-probabilities are computed in a form with no cancellation between large
terms (eq-scvi-nb-saddle), Loader's saddle-point form, for ``x >= 1``::

    log NB(x) = -1/2 log(2 pi x) - 1/2 log1p(x / theta)
                + R(x + theta) - R(theta) - R(x) - b(x, m_x) - b(theta, m_theta),

where ``R(z) = log Gamma(z) - (z - 1/2) log z + z - 1/2 log(2 pi)`` is the
remainder of Stirling's formula, ``b(a, c) = a log(a / c) + c - a >= 0`` and
``m_x = mu (x + theta) / (theta + mu)``, ``m_theta = theta (x + theta) / (theta
+ mu)``.  At ``x = 0``: ``log NB(0) = -theta log1p(mu / theta)`` and
``log ZINB(0) = logaddexp(log pi, log(1 - pi) + log NB(0)) = log1p(-s)`` with
``s = (1 - pi)(1 - NB(0))``, the second form when ``s <= 1/2`` (eq-scvi-zinb-zero).
Relative error about 1e-14 for counts up to 1e6 and ``mu``, ``theta`` anywhere
in [1e-8, 1e8], including the Poisson limit of large ``theta``.

The latent model (eq-scvi-model) is conditional on a given library size ``l_n``
(a covariate of the cell): ``z_n ~ N(0, I_2)``, ``mu_ng = l_n softmax_g(W z_n +
b)`` and ``x_ng ~ ZINB(mu_ng, theta_g, pi_g)``, a distribution over ``x_n`` for
each fixed ``l_n``.  The model functions take ``library``; left out, it is the
observed total ``l_n = sum_g x_ng`` (scvi-tools' default), a plug-in that makes
the mean depend on the counts being modelled, so that the "likelihood" no longer
sums to one over count vectors.  The encoder is linear in ``log(1 + x_n)``:
``q_phi(z_n | x_n) = N(m_n, diag s_n^2)``.  Parameters are a list ``[A, a, C, c,
W, b, log_theta, logit_pi]`` with ``m_n = log1p(x_n) A + a``, ``log s_n^2 =
log1p(x_n) C + c`` and ``pi_g = sigmoid(logit_pi_g)``.  The ELBO (eq-scvi-elbo)
is estimated with one reparameterised draw per cell (eq-scvi-grad) and computed
by Gauss-Hermite quadrature.  Counts are rows of non-negative integers; logs are
natural (nats).
"""

from __future__ import annotations

from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive
from scipy.special import digamma, gammaln
from threadpoolctl import threadpool_limits

from helpers.gaussian import standard_normal_rule_2d
from helpers.validation import count, generator, real_array, real_scalar
from helpers.validation import real_array as _real

__all__ = ["nb_log_prob", "zinb_log_prob", "sample_zinb", "Cells", "simulate_cells",
           "init_params", "encode", "decoder_mean", "log_likelihood", "elbo_estimate",
           "exact_elbo", "fit"]

# Small matrices: one BLAS thread is fastest, and immune to a busy CPU.
_one_thread = threadpool_limits.wrap(limits=1, user_api="blas")

_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)
# Stirling series 1/(12 z) - 1/(360 z^3) + ...: B_2k / (2k (2k - 1)), k = 1..7.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)
_STIRLING_FROM = 10.0     # the series is used for z >= 10 (error < 4e-17 there)
_SERIES_BELOW = 0.1       # b(a, c) by its Taylor series for |a / c - 1| < 0.1
_SERIES_TERMS = 16        # enough for 1e-17 relative accuracy there


# ---- validation -------------------------------------------------------------------

def _counts(name, value):
    array = _real(name, value)
    if np.any(array < 0) or np.any(array != np.floor(array)):
        bad = array[(array < 0) | (array != np.floor(array))].flat[0]
        raise ValueError(f"{name} must be non-negative integers (counts), got {bad}")
    return array


def _positive(name, value):
    array = _real(name, value)
    if np.any(array <= 0):
        raise ValueError(f"{name} must be positive, got {array[array <= 0].flat[0]}")
    return array


def _probability(name, value):
    array = _real(name, value)
    if np.any((array < 0) | (array >= 1)):
        bad = array[(array < 0) | (array >= 1)].flat[0]
        raise ValueError(f"{name} must lie in [0, 1), got {bad}")
    return array


def _broadcast(**arrays):
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"shapes do not broadcast together: {shapes}") from None


def _output(value):
    value = np.asarray(value, dtype=np.float64)
    return value[()] if value.ndim == 0 else value


# ---- the log-probabilities: NumPy cores, differentiable by autograd in mu and theta ----

def _stirling_remainder(z):
    """``R(z) = log Gamma(z) - (z - 1/2) log z + z - log(2 pi) / 2`` for ``z > 0``."""
    big = z >= _STIRLING_FROM
    zb = np.where(big, z, _STIRLING_FROM)           # each branch sees safe values only
    inv2 = 1.0 / zb**2
    series = 0.0
    for coefficient in reversed(_STIRLING):
        series = coefficient + inv2 * series
    zs = np.where(big, 1.0, z)
    direct = gammaln(zs) - (zs - 0.5) * np.log(zs) + zs - _HALF_LOG_2PI
    return np.where(big, series / zb, direct)


def _deviance_term(a, c, d):
    """``b(a, c) = a log(a / c) + c - a >= 0`` for ``a, c > 0``, given ``d = a - c``.

    Near ``a = c`` the Taylor series ``c t^2 sum_k (-t)^k / ((k + 1)(k + 2))`` in
    ``t = d / c`` avoids the cancellation; elsewhere ``a log(a / c) - d``.
    """
    a, c, d = np.broadcast_arrays(a, c, d)
    t = d / c
    near = np.abs(t) < _SERIES_BELOW
    value = np.asarray(a * np.log(a / c) - d)        # the far form, replaced where near
    tn = t[near]                                     # the series only where it is used
    series = 0.0
    for k in reversed(range(_SERIES_TERMS)):
        series = 1.0 / ((k + 1) * (k + 2)) - tn * series
    value[near] = c[near] * tn**2 * series
    return value


@primitive
def _log_nb(x, mu, theta):
    """log NB(x; mu, theta) by (eq-scvi-nb-saddle), broadcasting; no validation."""
    x, mu, theta = (np.asarray(v, dtype=np.float64) for v in (x, mu, theta))
    zero = x == 0
    xs = np.where(zero, 1.0, x)                      # the x >= 1 branch never sees 0
    scale = theta + mu
    m_x = mu * (xs + theta) / scale
    m_theta = theta * (xs + theta) / scale
    d = theta * (xs - mu) / scale                    # x - m_x = m_theta - theta
    positive = (-0.5 * np.log(2 * np.pi * xs) - 0.5 * np.log1p(xs / theta)
                + _stirling_remainder(xs + theta) - _stirling_remainder(theta)
                - _stirling_remainder(xs)
                - _deviance_term(xs, m_x, d) - _deviance_term(theta, m_theta, -d))
    return np.where(zero, -theta * np.log1p(mu / theta), positive)


def _unbroadcast(gradient, target):
    """Sum ``gradient`` over the axes along which ``target`` was broadcast."""
    shape = np.shape(target)
    while gradient.ndim > len(shape):
        gradient = gradient.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and gradient.shape[axis] != 1:
            gradient = gradient.sum(axis=axis, keepdims=True)
    return gradient


def _nb_score_mu(x, mu, theta):
    """``d log NB / d mu = theta (x - mu) / (mu (theta + mu))``."""
    return theta * (x - mu) / (mu * (theta + mu))


def _nb_score_theta(x, mu, theta):
    """``d log NB / d theta``: ``psi(x + theta) - psi(theta) - log1p(mu / theta)
    + (mu - x) / (theta + mu)``, with ``psi`` the digamma function."""
    return (digamma(x + theta) - digamma(theta) - np.log1p(mu / theta)
            + (mu - x) / (theta + mu))


defvjp(_log_nb, None,
       lambda ans, x, mu, theta: lambda g: _unbroadcast(g * _nb_score_mu(x, mu, theta), mu),
       lambda ans, x, mu, theta: lambda g: _unbroadcast(
           g * _nb_score_theta(x, mu, theta), theta))


def _log_zinb(x, mu, theta, log_pi, log_1m_pi):
    """log ZINB from ``log pi`` and ``log(1 - pi)`` (eq-scvi-zinb-zero at x = 0).

    At ``x = 0`` the probability is ``1 - s`` with ``s = (1 - pi)(1 - NB(0))``:
    ``log1p(-s)`` when ``s <= 1/2`` (no cancellation when the result is near 0),
    otherwise ``logaddexp(log pi, log(1 - pi) + log NB(0))``.
    """
    x = np.asarray(x, dtype=np.float64)
    return _zinb_from_log_nb(x, _log_nb(x, mu, theta), log_pi, log_1m_pi)


def _zinb_from_log_nb(x, log_nb, log_pi, log_1m_pi):
    """``_log_zinb`` given ``log NB(x)``."""
    nonzero = log_1m_pi + log_nb
    s = -anp.exp(log_1m_pi) * anp.expm1(log_nb)
    small = s <= 0.5
    at_zero = anp.where(small, anp.log1p(-anp.where(small, s, 0.0)),
                        anp.logaddexp(log_pi, nonzero))
    return anp.where(x == 0, at_zero, nonzero)


def nb_log_prob(x, mu, theta):
    """``log NB(x; mu, theta)``, elementwise with broadcasting (eq-scvi-nb, eq-scvi-nb-saddle).

    ``x``: non-negative integer counts; ``mu`` (the mean) and ``theta`` (the
    inverse dispersion; variance ``mu + mu^2 / theta``) positive.  The same
    distribution as ``scipy.stats.nbinom(n=theta, p=theta / (theta + mu))``,
    computed without forming ``p``, so without losing digits when ``theta``
    is large or ``mu`` small.
    """
    x, mu, theta = _broadcast(x=_counts("x", x), mu=_positive("mu", mu),
                              theta=_positive("theta", theta))
    return _output(_log_nb(x, mu, theta))


def zinb_log_prob(x, mu, theta, pi):
    """``log ZINB(x; mu, theta, pi)`` with zero-inflation weight ``pi`` in [0, 1) (eq-scvi-zinb).

    ``log(1 - pi) + log NB(x)`` for ``x >= 1``; at ``x = 0`` the mixture
    ``log(pi + (1 - pi) NB(0))``, by ``logaddexp`` of the two logarithms or, when
    a zero has probability above 1/2, as ``log1p(-(1 - pi)(1 - NB(0)))`` with
    ``1 - NB(0) = -expm1(log NB(0))`` (eq-scvi-zinb-zero).
    """
    x, mu, theta, pi = _broadcast(x=_counts("x", x), mu=_positive("mu", mu),
                                  theta=_positive("theta", theta),
                                  pi=_probability("pi", pi))
    with np.errstate(divide="ignore"):               # log 0 = -inf when pi = 0
        log_pi = np.log(pi)
    return _output(_log_zinb(x, mu, theta, log_pi, np.log1p(-pi)))


def sample_zinb(rng, mu, theta, pi, size=None):
    """Draws from ZINB(mu, theta, pi) as scVI generates them (int64 counts).

    ``lambda ~ Gamma(shape theta, scale mu / theta)`` (mean ``mu``), ``y ~
    Poisson(lambda)``, and with probability ``pi`` the count is replaced by 0.
    ``size`` defaults to the broadcast shape of the parameters.
    """
    generator("rng", rng)
    mu, theta, pi = _broadcast(mu=_positive("mu", mu), theta=_positive("theta", theta),
                               pi=_probability("pi", pi))
    if size is None:
        size = mu.shape
    else:
        size = tuple(count("size", n) for n in (size if isinstance(size, tuple) else (size,)))
    rate = rng.gamma(theta, mu / theta, size=size)
    counts = rng.poisson(rate)
    return np.where(rng.random(size) < pi, 0, counts).astype(np.int64)


# ---- the latent model ----------------------------------------------------------------

@dataclass(frozen=True)
class Cells:
    """Simulated cells: counts ``x`` (N, G), true ``cell_type`` (N,) and the truth behind them."""

    x: np.ndarray
    cell_type: np.ndarray
    z: np.ndarray
    library: np.ndarray
    W: np.ndarray
    b: np.ndarray
    theta: np.ndarray
    pi: np.ndarray


def simulate_cells(rng, n_cells=300, n_genes=40, n_types=3, spread=0.5):
    """Counts from the model (eq-scvi-model) for cells of ``n_types`` types.

    Type ``k`` sits at ``1.5 (cos 2 pi k / K, sin 2 pi k / K)`` in the 2-D latent
    space; a cell's ``z`` is its type's centre plus ``N(0, spread^2 I)``.
    ``W ~ N(0, 1)``, ``b ~ N(0, 0.5^2)``, ``log theta_g ~ U(log 0.5, log 20)``,
    ``pi_g ~ U(0.02, 0.3)``, ``l_n ~ LogNormal(log 400, 0.3^2)``; then ``x_ng ~
    ZINB(l_n softmax_g(W z_n + b), theta_g, pi_g)``.
    """
    generator("rng", rng)
    for name, value, low in (("n_cells", n_cells, 2), ("n_genes", n_genes, 2),
                             ("n_types", n_types, 1)):
        count(name, value, minimum=low)
    spread = float(_positive("spread", real_scalar("spread", spread)))
    angles = 2 * np.pi * np.arange(n_types) / n_types
    centres = 1.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    cell_type = rng.permutation(np.arange(n_cells) % n_types)
    z = centres[cell_type] + spread * rng.standard_normal((n_cells, 2))
    W = rng.standard_normal((2, n_genes))
    b = 0.5 * rng.standard_normal(n_genes)
    theta = np.exp(rng.uniform(np.log(0.5), np.log(20.0), n_genes))
    pi = rng.uniform(0.02, 0.3, n_genes)
    library = np.exp(np.log(400.0) + 0.3 * rng.standard_normal(n_cells))
    logits = z @ W + b
    proportions = np.exp(logits - logits.max(axis=1, keepdims=True))
    proportions /= proportions.sum(axis=1, keepdims=True)
    x = sample_zinb(rng, library[:, None] * proportions, theta, pi)
    return Cells(x, cell_type, z, library, W, b, theta, pi)


def _count_rows(x, n_genes=None):
    """``x`` as float64 counts of shape (N, G), every row with at least one count."""
    x = _counts("x", x)
    if x.ndim != 2 or (n_genes is not None and x.shape[1] != n_genes):
        want = "(N, G)" if n_genes is None else f"(N, {n_genes})"
        raise ValueError(f"x must have shape {want}, got {x.shape}")
    if np.any(x.sum(axis=1) == 0):
        raise ValueError("x must have at least one count in every row (cell)")
    return x


def _library(library, x):
    """The library sizes of the cells of ``x``: given (positive, shape (N,)), or ``sum_g x_ng``."""
    if library is None:
        return x.sum(axis=1)
    library = _positive("library", library)
    if library.shape != (len(x),):
        raise ValueError(f"library must have shape ({len(x)},), got {library.shape}")
    return library


_PARAM_NAMES = ("A", "a", "C", "c", "W", "b", "log_theta", "logit_pi")


def _check_params(params):
    """``(n_genes, latent)`` of a parameter list, or ValueError naming the bad entry."""
    if isinstance(params, (str, bytes)) or not hasattr(params, "__len__"):
        raise TypeError(f"params must be the list [{', '.join(_PARAM_NAMES)}], "
                        f"got {type(params).__name__}")
    if len(params) != len(_PARAM_NAMES):
        raise ValueError(f"params must be the list [{', '.join(_PARAM_NAMES)}], "
                         f"got {len(params)} entries")
    n_genes, latent = np.shape(params[0])
    expected = [(n_genes, latent), (latent,), (n_genes, latent), (latent,),
                (latent, n_genes), (n_genes,), (n_genes,), (n_genes,)]
    for name, value, shape in zip(_PARAM_NAMES, params, expected):
        if np.shape(value) != shape:
            raise ValueError(f"params {name} must have shape {shape}, got {np.shape(value)}")
        _plain_finite(f"params {name}", value)
    return n_genes, latent


def _plain_finite(name, value):
    """ValueError unless ``value`` is finite; autograd's traced arrays pass unchecked."""
    if isinstance(value, (np.ndarray, list, tuple, int, float, np.number)):
        real_array(name, value)
    return value


def init_params(rng, n_genes, latent=2):
    """``[A, a, C, c, W, b, log_theta, logit_pi]``: small random weights, ``theta = 1``.

    Every ``pi_g`` starts at 0.1; the encoder starts with ``s = e^{-1}`` in every
    direction and means near 0.
    """
    generator("rng", rng)
    count("n_genes", n_genes, minimum=2)
    count("latent", latent)
    return [0.1 * rng.standard_normal((n_genes, latent)), np.zeros(latent),
            np.zeros((n_genes, latent)), np.full(latent, -2.0),
            0.1 * rng.standard_normal((latent, n_genes)), np.zeros(n_genes),
            np.zeros(n_genes), np.full(n_genes, np.log(0.1 / 0.9))]


def encode(params, x):
    """Mean ``m_n`` and log-variance ``log s_n^2`` of ``q_phi(z | x_n)``, one row per cell.

    Both are linear in ``log(1 + x_n)``: ``m = log1p(x) A + a``, ``log s^2 =
    log1p(x) C + c``.
    """
    n_genes, _ = _check_params(params)
    features = np.log1p(_count_rows(x, n_genes))
    return (anp.dot(features, params[0]) + params[1],
            anp.dot(features, params[2]) + params[3])


def decoder_mean(params, z, library):
    """``mu_ng = l_n softmax_g(W z_n + b)`` (eq-scvi-model).

    ``z`` has shape (..., N, L) and ``library`` (N,); the result (..., N, G).
    """
    n_genes, latent = _check_params(params)
    if np.ndim(z) < 2 or np.shape(z)[-1] != latent:
        raise ValueError(f"z must have shape (..., N, {latent}), got {np.shape(z)}")
    _plain_finite("z", z)
    library = _positive("library", library)
    if library.shape != (np.shape(z)[-2],):
        raise ValueError(f"library must have shape ({np.shape(z)[-2]},), got {library.shape}")
    logits = anp.dot(z, params[4]) + params[5]
    shifted = logits - anp.max(logits, axis=-1, keepdims=True)
    log_proportions = shifted - anp.log(anp.sum(anp.exp(shifted), axis=-1, keepdims=True))
    return library[:, None] * anp.exp(log_proportions)


def log_likelihood(params, x, z, library=None):
    """``log p(x_n | z, l_n) = sum_g log ZINB(x_ng; mu_ng, theta_g, pi_g)`` (eq-scvi-model).

    ``mu_ng = l_n softmax_g(W z + b)`` with the given library sizes ``library``
    (shape (N,)); ``None`` uses the observed totals ``sum_g x_ng``, with which the
    result is not the log of a distribution over ``x_n``.  ``z`` is (..., N, L)
    and the result has shape ``z.shape[:-1]``.  ``pi_g = sigmoid(logit_pi_g)``,
    with ``log pi`` and ``log(1 - pi)`` computed as ``-log(1 + e^{-/+ logit})``.
    """
    n_genes, _ = _check_params(params)
    x = _count_rows(x, n_genes)
    mu = decoder_mean(params, z, _library(library, x))
    logit_pi = params[7]
    return anp.sum(_log_zinb(x, mu, anp.exp(params[6]), -anp.logaddexp(0.0, -logit_pi),
                             -anp.logaddexp(0.0, logit_pi)), axis=-1)


def _kl_to_prior(mean, log_var):
    """``KL(N(m, diag s^2) || N(0, I))`` over the last axis (the book's eq-vae-kl)."""
    return 0.5 * anp.sum(mean**2 + anp.exp(log_var) - 1.0 - log_var, axis=-1)


def elbo_estimate(params, x, eps, library=None):
    """One-draw reparameterised ELBO per cell (eq-scvi-elbo, eq-scvi-grad).

    ``log p(x_n | m_n + s_n eps_n, l_n) - KL(q_phi(z | x_n) || N(0, I))`` with the
    KL in closed form; unbiased for the ELBO when ``eps ~ N(0, I)`` has shape
    (N, L), and so is its gradient in every parameter.  ``library`` as in
    :func:`log_likelihood`.
    """
    mean, log_var = encode(params, x)
    if np.shape(eps) != np.shape(mean):
        raise ValueError(f"eps must have shape {np.shape(mean)}, got {np.shape(eps)}")
    _plain_finite("eps", eps)
    z = mean + anp.exp(0.5 * log_var) * eps
    return log_likelihood(params, x, z, library) - _kl_to_prior(mean, log_var)


@_one_thread
def exact_elbo(params, x, nodes=12, library=None):
    """The ELBO per cell, with ``E_q[log p(x_n | z, l_n)]`` by Gauss-Hermite quadrature (2-D latent).

    ``z = m + sqrt(2) s t`` on the tensor grid of ``nodes`` Hermite nodes per axis,
    minus the closed-form KL; compare two node counts to see the error.
    ``library`` as in :func:`log_likelihood`.
    """
    points, weights = standard_normal_rule_2d(nodes)
    mean, log_var = encode(params, x)
    if mean.shape[1] != 2:
        raise ValueError(f"the latent must be 2-D for this quadrature, got {mean.shape[1]}")
    z = mean + np.exp(0.5 * log_var) * points[:, None, :]   # (nodes^2, N, 2)
    return weights @ log_likelihood(params, x, z, library) - _kl_to_prior(mean, log_var)


def _loss(params, x, eps, library=None):
    return -anp.mean(elbo_estimate(params, x, eps, library))


def _zinb_partials(x, log_nb, log_pi, log_1m_pi):
    """``d log ZINB`` with respect to ``log NB``, ``log pi`` and ``log(1 - pi)``.

    ``x >= 1``: ``(1, 0, 1)``.  At ``x = 0``, with ``s = (1 - pi)(1 - NB(0))``:
    ``(e^l / (1 - s), 0, -s / (1 - s))`` with ``l = log(1 - pi) + log NB(0)``
    when ``s <= 1/2``; otherwise ``(w, 1 - w, w)``, ``w = e^{l - log ZINB(0)}``
    (eq-scvi-zinb-zero).
    """
    nonzero = log_1m_pi + log_nb
    s = -np.exp(log_1m_pi) * np.expm1(log_nb)
    small = s <= 0.5
    left = 1.0 / (1.0 - np.where(small, s, 0.0))
    weight = np.exp(nonzero - np.logaddexp(log_pi, nonzero))
    zero = x == 0
    d_nb = np.where(zero, np.where(small, np.exp(nonzero) * left, weight), 1.0)
    d_pi = np.where(zero & ~small, 1.0 - weight, 0.0)
    d_1m_pi = np.where(zero, np.where(small, -s * left, weight), 1.0)
    return d_nb, d_pi, d_1m_pi


def _loss_and_gradient(params, x, eps, library=None):
    """``_loss`` and its gradient in every parameter by the chain rule (eq-scvi-grad).

    The same value as ``_loss``; the gradient is the one autograd gives (up to
    rounding), written out: ZINB partials, the softmax, the reparameterisation
    ``z = m + s eps`` and the closed-form KL.  ``library``: the library sizes
    (N,), already validated, or ``None`` for ``sum_g x_ng``.
    """
    A, a, C, c, W, b, log_theta, logit_pi = params
    features = np.log1p(x)
    mean, log_var = features @ A + a, features @ C + c
    scale = np.exp(0.5 * log_var)
    z = mean + scale * eps
    library = x.sum(axis=1) if library is None else library
    logits = z @ W + b
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    log_proportions = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    proportions = np.exp(log_proportions)
    mu = library[:, None] * proportions
    theta = np.exp(log_theta)
    log_pi, log_1m_pi = -np.logaddexp(0.0, -logit_pi), -np.logaddexp(0.0, logit_pi)
    log_nb = _log_nb(x, mu, theta)
    value = np.sum(_zinb_from_log_nb(x, log_nb, log_pi, log_1m_pi), axis=-1)
    loss = -np.mean(value - _kl_to_prior(mean, log_var))

    d_nb, d_pi, d_1m_pi = _zinb_partials(x, log_nb, log_pi, log_1m_pi)
    factor = -1.0 / len(x)                           # d loss / d (ELBO of one cell)
    g_mu = factor * d_nb * _nb_score_mu(x, mu, theta)
    g_theta = np.sum(factor * d_nb * _nb_score_theta(x, mu, theta), axis=0)
    g_log_theta = g_theta * theta
    pi = np.exp(log_pi)
    g_logit_pi = factor * (np.sum(d_pi, axis=0) * (1.0 - pi)
                           - np.sum(d_1m_pi, axis=0) * pi)
    weighted = mu * g_mu
    g_logits = weighted - proportions * np.sum(weighted, axis=-1, keepdims=True)
    g_z = g_logits @ W.T
    g_mean = g_z - factor * mean
    g_log_var = 0.5 * (g_z * eps * scale - factor * (np.exp(log_var) - 1.0))
    gradient = [features.T @ g_mean, g_mean.sum(axis=0),
                features.T @ g_log_var, g_log_var.sum(axis=0),
                z.T @ g_logits, g_logits.sum(axis=0), g_log_theta, g_logit_pi]
    return loss, gradient


@_one_thread
def fit(x, steps=400, learning_rate=0.03, seed=0, library=None):
    """Adam on the one-draw ELBO, all cells at every step; returns ``(params, history)``.

    ``library``: the cells' library sizes ``l_n`` (shape (N,)) on which the model
    is conditioned (eq-scvi-model); ``None`` uses the observed totals.  The start
    is ``init_params(np.random.default_rng(seed), G)``; ``history[i]`` is step
    ``i``'s one-draw estimate of the ELBO averaged over cells (nats per cell),
    before that step's update.  The same generator draws every ``eps``, so the
    fit is deterministic.
    """
    x = _count_rows(x)
    library = _library(library, x)
    steps = count("steps", steps)
    learning_rate = float(_positive("learning_rate", real_scalar("learning_rate",
                                                                   learning_rate)))
    rng = np.random.default_rng(count("seed", seed, minimum=0))
    params = init_params(rng, x.shape[1])
    first, second = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    loss_and_gradient, history = _loss_and_gradient, np.empty(steps)
    for step in range(1, steps + 1):
        eps = rng.standard_normal((len(x), params[1].shape[0]))
        loss, gradient = loss_and_gradient(params, x, eps, library)
        history[step - 1] = -loss
        for p, g, m, v in zip(params, gradient, first, second):
            m += 0.1 * (g - m)                       # Adam, in place
            v += 0.001 * (g**2 - v)
            p -= (learning_rate * (m / (1 - 0.9**step))
                  / (np.sqrt(v / (1 - 0.999**step)) + 1e-8))
    return params, history
