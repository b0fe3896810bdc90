"""The DDPM forward process, its posteriors, and two data sets where everything is exact.

Convention of Ho et al. (2020), as on the book's Notation page: a schedule
``betas`` holds beta_1..beta_T with ``betas[t-1] = beta_t`` (0-based arrays,
1-based steps); alpha_t = 1 - beta_t and abar_t = alpha_1 ... alpha_t, with
abar_0 = 1.  Variances, not standard deviations; natural logarithms.

- Schedules: :func:`linear_betas`, :func:`cosine_betas`, :func:`alphas_cumprod`.
- The forward process: q(x_t | x_0) (:func:`forward_marginal`, :func:`q_sample`)
  and the posterior q(x_{t-1} | x_t, x_0) (:func:`q_posterior`).
- 1-D Gaussian data x_0 ~ N(mu, s2): every marginal q(x_t) and every reverse
  conditional q(x_{t-1} | x_t) is Gaussian, so the reverse model made of those
  conditionals has a closed-form ELBO and log-likelihood (``gaussian_data_*``).
- :class:`GaussianMixture` data: the marginals q(x_t) and the ideal denoiser
  E[x_0 | x_t] in closed form.
- Any Gaussian reverse model N(mean(x_t, t), var_t I): Monte Carlo ELBO along
  forward chains (:func:`elbo_chain_samples`) and ancestral sampling.

Bad input raises ``ValueError`` naming the argument and the rule it broke.
Book chapter: ddpm.md.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from scipy.special import logsumexp

from helpers.gaussian import kl_normal, log_normal, standard_normal_rule
from helpers.validation import count, function, generator
from helpers.validation import real_array as _array
from helpers.validation import real_scalar as _scalar

__all__ = [
    "linear_betas", "cosine_betas", "alphas_cumprod", "forward_marginal", "q_sample",
    "q_posterior", "gaussian_data_marginal", "gaussian_data_reverse", "ElboTerms",
    "gaussian_data_elbo_terms", "gaussian_data_elbo", "gaussian_data_log_likelihood",
    "GaussianMixture", "elbo_chain_samples", "ancestral_samples",
]


# ---- validation ----------------------------------------------------------------

def _positive(name, value):
    array = _array(name, value)
    if not np.all(array > 0):
        raise ValueError(f"{name} must be positive, got min {np.min(array)}")
    return array


def _betas(betas):
    betas = _array("betas", betas)
    if betas.ndim != 1 or betas.size == 0:
        raise ValueError(f"betas must be a non-empty 1-D array, got shape {betas.shape}")
    if not np.all((betas > 0) & (betas < 1)):
        raise ValueError("betas must lie in the open interval (0, 1), got "
                         f"min {betas.min()}, max {betas.max()}")
    return betas


def _steps(t, T, lowest=1):
    """``t`` as an integer array with every entry in lowest..T."""
    array = np.asarray(t)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or (
            np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array))
            and np.all(array == np.round(array)))):
        raise ValueError(f"t must hold integer steps, got {t!r}")
    if array.size and (array.min() < lowest or array.max() > T):
        raise ValueError(f"t must be a step in {lowest}..{T} (T = len(betas)), "
                         f"got values in {array.min()}..{array.max()}")
    return array.astype(np.int64)


def _broadcast_shape(**arrays):
    """The common shape of the named arrays, or ValueError naming their shapes."""
    try:
        return np.broadcast_shapes(*(np.shape(v) for v in arrays.values()))
    except ValueError as err:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"shapes do not broadcast together: {shapes}") from err


def _cumulative(betas):
    """abar_t and 1 - abar_t for t = 0..T (index t), without cancellation."""
    log_abar = np.concatenate([[0.0], np.cumsum(np.log1p(-betas))])
    return np.exp(log_abar), -np.expm1(log_abar)


# ---- schedules -------------------------------------------------------------------

def _check_T(T):
    count("T", T)


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    """beta_t rising linearly from ``beta_start`` (t = 1) to ``beta_end`` (t = T).

    Ho et al. (2020) use T = 1000, 1e-4 and 0.02.  Book: eq-schedules.
    """
    _check_T(T)
    for name, value in (("beta_start", beta_start), ("beta_end", beta_end)):
        if not 0 < _scalar(name, value) < 1:
            raise ValueError(f"{name} must lie in (0, 1), got {value!r}")
    return np.linspace(beta_start, beta_end, T)


def cosine_betas(T, s=0.008, max_beta=0.999):
    """The cosine schedule of Nichol & Dhariwal (2021).

    abar_t = f(t) / f(0) with f(t) = cos^2( (t/T + s) / (1 + s) * pi/2 ), and
    beta_t = min(1 - abar_t / abar_{t-1}, max_beta).  The clipping acts only
    near t = T, where f(T) = 0 would give beta_T = 1.  Book: eq-schedules.
    """
    _check_T(T)
    if not _scalar("s", s) >= 0:
        raise ValueError(f"s must be a finite non-negative offset, got {s!r}")
    if not 0 < _scalar("max_beta", max_beta) < 1:
        raise ValueError(f"max_beta must lie in (0, 1), got {max_beta!r}")
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    return _betas(np.minimum(1 - f[1:] / f[:-1], max_beta))   # > 0: f decreases


def alphas_cumprod(betas):
    """abar_t = prod_{s <= t} (1 - beta_s) for t = 1..T (array index t - 1)."""
    return _cumulative(_betas(betas))[0][1:]


# ---- the forward process -------------------------------------------------------

def forward_marginal(x0, t, betas):
    """Mean and variance of q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I).

    ``t`` (steps 1..T) broadcasts against ``x0``.  Book: eq-ddpm-marginal.
    """
    betas = _betas(betas)
    x0, t = _array("x0", x0), _steps(t, betas.size)
    shape = _broadcast_shape(x0=x0, t=t)
    abar, one_minus = _cumulative(betas)
    return np.sqrt(abar[t]) * x0, np.broadcast_to(one_minus[t], shape).copy()[()]


def q_sample(x0, t, betas, rng):
    """One draw of x_t ~ q(x_t | x_0) for every entry of ``x0`` (eq-ddpm-marginal)."""
    generator("rng", rng)
    mean, var = forward_marginal(x0, t, betas)
    return mean + np.sqrt(var) * rng.standard_normal(mean.shape)


def q_posterior(x0, xt, t, betas):
    """Mean and variance of q(x_{t-1} | x_t, x_0) = N(mu_tilde, beta_tilde I).

    mu_tilde = c0 x_0 + ct x_t with c0 = sqrt(abar_{t-1}) beta_t / (1 - abar_t) and
    ct = sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t), and
    beta_tilde = (1 - abar_{t-1}) / (1 - abar_t) beta_t.
    At t = 1 the posterior is the point mass at x_0 (variance 0).  ``x0`` and
    ``xt`` must have the same shape; ``t`` broadcasts.  Book: eq-ddpm-posterior.
    """
    betas = _betas(betas)
    x0, xt = _array("x0", x0), _array("xt", xt)
    if x0.shape != xt.shape:
        raise ValueError(f"x0 and xt must have the same shape, got {x0.shape} "
                         f"and {xt.shape}")
    t = _steps(t, betas.size)
    shape = _broadcast_shape(x0=x0, t=t)
    abar, one_minus = _cumulative(betas)
    beta = betas[t - 1]                          # coefficients first, on t's own shape
    coef_x0 = np.sqrt(abar[t - 1]) * beta / one_minus[t]
    coef_xt = np.sqrt(1 - beta) * one_minus[t - 1] / one_minus[t]
    var = np.broadcast_to(one_minus[t - 1] / one_minus[t] * beta, shape).copy()
    return coef_x0 * x0 + coef_xt * xt, var[()]


# ---- 1-D Gaussian data -----------------------------------------------------------

def _gaussian_data(mu, s2, betas):
    mu, s2 = _scalar("mu", mu), _scalar("s2", s2)
    if not s2 > 0:
        raise ValueError(f"s2 must be a positive variance, got {s2!r}")
    betas = _betas(betas)
    abar, one_minus = _cumulative(betas)
    means = np.sqrt(abar) * mu                    # m_t, t = 0..T
    variances = abar * s2 + one_minus             # v_t, t = 0..T
    return mu, s2, betas, abar, means, variances


def gaussian_data_marginal(mu, s2, t, betas):
    """Mean and variance of q(x_t) when x_0 ~ N(mu, s2); t in 0..T (t = 0: the data).

    q(x_t) = N(m_t, v_t), m_t = sqrt(abar_t) mu, v_t = abar_t s2 + 1 - abar_t.
    Book: eq-gaussian-reverse.
    """
    _, _, betas, _, means, variances = _gaussian_data(mu, s2, betas)
    t = _steps(t, betas.size, lowest=0)
    return means[t][()], variances[t][()]


def gaussian_data_reverse(mu, s2, xt, t, betas):
    """Mean and variance of the reverse conditional q(x_{t-1} | x_t), x_0 ~ N(mu, s2).

    q(x_{t-1} | x_t) = N(m_{t-1} + k_t (x_t - m_t), beta_t v_{t-1} / v_t) with
    k_t = sqrt(alpha_t) v_{t-1} / v_t.  It is also the best Gaussian kernel: it
    maximises the data-averaged ELBO.  Book: eq-gaussian-reverse.
    """
    _, _, betas, _, means, variances = _gaussian_data(mu, s2, betas)
    xt, t = _array("xt", xt), _steps(t, betas.size)
    shape = _broadcast_shape(xt=xt, t=t)
    beta = betas[t - 1]
    gain = np.sqrt(1 - beta) * variances[t - 1] / variances[t]
    var = np.broadcast_to(beta * variances[t - 1] / variances[t], shape).copy()
    return means[t - 1] + gain * (xt - means[t]), var[()]


class ElboTerms(NamedTuple):
    """The three terms of Ho et al.'s eq. (5), per data point (book: eq-ddpm-terms).

    ELBO = reconstruction - prior_kl - denoising_kl.sum(axis=0);
    ``denoising_kl[i]`` is the term of step t = i + 2.
    """

    prior_kl: np.ndarray         # KL(q(x_T | x_0) || N(0, 1))
    denoising_kl: np.ndarray     # E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t))
    reconstruction: np.ndarray   # E_{q(x_1|x_0)} log p(x_0 | x_1)

    @property
    def elbo(self):
        return self.reconstruction - self.prior_kl - self.denoising_kl.sum(axis=0)


def _denoising_quadratics(mu, s2, betas):
    """E KL of step t (t = 2..T) as (A_t x_0 + B_t)^2 / (2 rho_t) + C_t: (A, B, rho, C).

    The means of q(x_{t-1} | x_t, x_0) and of the reverse kernel differ by
    d = c0_t x_0 + (c_t - k_t) x_t + k_t m_t - m_{t-1}, with x_t ~ N(sqrt(abar_t) x_0,
    1 - abar_t); so E d = A_t x_0 + B_t, Var d = (c_t - k_t)^2 (1 - abar_t), and
    C_t = KL(N(0, beta_tilde_t) || N(0, rho_t)) + Var d / (2 rho_t).
    """
    mu, s2, betas, abar, means, variances = _gaussian_data(mu, s2, betas)
    one_minus = _cumulative(betas)[1]
    t = np.arange(2, betas.size + 1)
    beta = betas[t - 1]
    coef_x0 = np.sqrt(abar[t - 1]) * beta / one_minus[t]
    coef_xt = np.sqrt(1 - beta) * one_minus[t - 1] / one_minus[t]
    gain = np.sqrt(1 - beta) * variances[t - 1] / variances[t]
    rho = beta * variances[t - 1] / variances[t]
    beta_tilde = one_minus[t - 1] / one_minus[t] * beta
    slope = coef_x0 + (coef_xt - gain) * np.sqrt(abar[t])
    offset = gain * means[t] - means[t - 1]
    var_d = (coef_xt - gain) ** 2 * one_minus[t]
    return slope, offset, rho, kl_normal(0.0, beta_tilde, 0.0, rho) + var_d / (2 * rho)


def _prior_and_reconstruction(mu, s2, betas, x0):
    mu, s2, betas, abar, means, variances = _gaussian_data(mu, s2, betas)
    one_minus = _cumulative(betas)[1]
    T = betas.size
    prior_kl = kl_normal(np.sqrt(abar[T]) * x0, one_minus[T], 0.0, 1.0)
    # t = 1: p(x_0 | x_1) = N(mu + k_1 (x_1 - m_1), rho_1), x_1 ~ N(sqrt(abar_1) x_0, ...)
    gain = np.sqrt(1 - betas[0]) * variances[0] / variances[1]
    rho = betas[0] * variances[0] / variances[1]
    residual = x0 - mu - gain * (np.sqrt(abar[1]) * x0 - means[1])
    reconstruction = (log_normal(residual, 0.0, rho)
                      - gain ** 2 * one_minus[1] / (2 * rho))
    return prior_kl, reconstruction


def gaussian_data_elbo_terms(mu, s2, betas, x0):
    """Ho's eq. (5) terms in closed form for x_0 ~ N(mu, s2) and the model
    p(x_T) = N(0, 1), p(x_{t-1} | x_t) = q(x_{t-1} | x_t) (:func:`gaussian_data_reverse`).

    Every term is the expectation of a quadratic under Gaussian x_t (see
    ``_denoising_quadratics``).  Book: eq-ddpm-terms.
    """
    x0 = _array("x0", x0)
    prior_kl, reconstruction = _prior_and_reconstruction(mu, s2, betas, x0)
    slope, offset, rho, const = (c.reshape((-1,) + (1,) * x0.ndim)
                                 for c in _denoising_quadratics(mu, s2, betas))
    denoising_kl = (slope * x0 + offset) ** 2 / (2 * rho) + const
    return ElboTerms(prior_kl, denoising_kl, reconstruction)


def gaussian_data_elbo(mu, s2, betas, x0):
    """ELBO(x_0) of the model of :func:`gaussian_data_elbo_terms` (eq-ddpm-terms).

    The same sum, with the T - 1 denoising quadratics added up before they are
    evaluated: O(T + n) work for n points.
    """
    x0 = _array("x0", x0)
    prior_kl, reconstruction = _prior_and_reconstruction(mu, s2, betas, x0)
    slope, offset, rho, const = _denoising_quadratics(mu, s2, betas)
    denoising = (np.sum(slope ** 2 / (2 * rho)) * x0 ** 2
                 + np.sum(slope * offset / rho) * x0
                 + np.sum(offset ** 2 / (2 * rho) + const))
    return reconstruction - prior_kl - denoising


def gaussian_data_log_likelihood(mu, s2, betas, x0):
    """Exact log p_theta(x_0) of the model of :func:`gaussian_data_elbo_terms`.

    The reverse conditionals chained from x_T to x_0 compose to q(x_0 | x_T),
    so p_theta(x_0) = E_{x_T ~ N(0, 1)} q(x_0 | x_T): Gaussian with mean
    mu - K m_T and variance s2 + K^2 (1 - v_T), K = sqrt(abar_T) s2 / v_T.
    It is the data density N(mu, s2) only when q(x_T) = N(0, 1), i.e. when
    m_T = 0 and v_T = 1.  Book: eq-gaussian-likelihood.
    """
    mu, s2, betas, abar, means, variances = _gaussian_data(mu, s2, betas)
    T = betas.size
    gain = np.sqrt(abar[T]) * s2 / variances[T]
    return log_normal(_array("x0", x0), mu - gain * means[T],
                      s2 + gain ** 2 * abar[T] * (1 - s2))      # 1 - v_T = abar_T (1 - s2)


# ---- Gaussian-mixture data -------------------------------------------------------

class GaussianMixture:
    """Data x_0 ~ sum_k pi_k N(mu_k, Sigma_k) in d dimensions; each q(x_t) is a mixture.

    q(x_t) = sum_k pi_k N(sqrt(abar_t) mu_k, S_k), S_k = abar_t Sigma_k + (1 - abar_t) I,
    and the ideal denoiser is E[x_0 | x_t] = sum_k r_k(x_t) xhat_k(x_t) with
    xhat_k(x_t) = mu_k + sqrt(abar_t) Sigma_k S_k^{-1} (x_t - sqrt(abar_t) mu_k) and
    responsibilities r_k proportional to pi_k N(x_t; sqrt(abar_t) mu_k, S_k).
    ``weights``, ``means``, ``covs`` hold pi_k, mu_k, Sigma_k.  Each Sigma_k =
    U diag(lam) U^T is diagonalised once, so S_k^{-1} acts elementwise.
    Points have shape (..., d); ``t`` (0..T, 0 = the data) broadcasts against
    their leading shape.  Book: eq-ideal-denoiser.
    """

    def __init__(self, weights, means, covs):
        weights, means, covs = (_array("weights", weights), _array("means", means),
                                _array("covs", covs))
        if weights.ndim != 1 or np.any(weights <= 0):
            raise ValueError("weights must be a 1-D vector of positive numbers")
        if abs(weights.sum() - 1) > 1e-12:
            raise ValueError(f"weights must sum to 1, got {weights.sum()!r}")
        K = weights.size
        if means.ndim != 2 or means.shape[0] != K:
            raise ValueError(f"means must have shape ({K}, d), got {means.shape}")
        d = means.shape[1]
        if covs.shape != (K, d, d):
            raise ValueError(f"covs must have shape ({K}, {d}, {d}), got {covs.shape}")
        if not np.allclose(covs, np.swapaxes(covs, 1, 2), rtol=0, atol=1e-12):
            raise ValueError("covs must be symmetric")
        lam, vectors = np.linalg.eigh(covs)
        if np.any(lam <= 0):
            raise ValueError("covs must be positive definite")
        self.weights, self.means, self.covs = weights, means, covs
        self._lam, self._vectors = lam, vectors          # (K, d), (K, d, d)
        self._log_weights = np.log(weights)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def _points(self, x, name="x"):
        x = _array(name, x)
        if x.ndim < 1 or x.shape[-1] != self.dim:
            raise ValueError(f"{name} must have shape (..., {self.dim}), got {x.shape}")
        return x

    def _components(self, x, t, betas):
        """log pi_k N(x; sqrt(abar) mu_k, S_k) and the denoiser xhat_k, component by
        component: a list of K arrays of the points' leading shape, and a list of K
        lists of d such arrays (the coordinates of xhat_k).

        Each coordinate is its own contiguous array, so every operation is one
        elementwise pass with no small reduction axis (those are slow in NumPy).
        """
        x = self._points(x, "x" if betas is None else "xt")
        if betas is None:
            if np.any(np.asarray(t) != 0):
                raise ValueError("betas are needed for a step t > 0")
            abar = np.ones(())
        else:
            betas = _betas(betas)
            t = _steps(t, betas.size, lowest=0)
            abar = _cumulative(betas)[0][t]
            try:
                np.broadcast_shapes(t.shape, x.shape[:-1])
            except ValueError as err:
                raise ValueError(f"t of shape {t.shape} does not broadcast against the "
                                 f"points' leading shape {x.shape[:-1]}") from err
        return self._components_at(x, abar)

    def _components_at(self, x, abar):
        """:meth:`_components` for x_t = sqrt(abar) x_0 + sqrt(1 - abar) noise, any
        abar in (0, 1] broadcasting against the points' leading shape."""
        a = abar[..., None, None]                        # (abar.shape, 1, 1)
        scale = a * self._lam + (1 - a)                  # eigenvalues of S_k
        log_norm = np.log(2 * np.pi * scale).sum(axis=-1)            # (t.shape, K)
        shrink = np.sqrt(a) * self._lam / scale                  # (t.shape, K, d)
        shift = np.sqrt(a) * self.means                          # (t.shape, K, d)
        d = self.dim
        coords = [x[..., i].copy() for i in range(d)]
        log_joint, denoised = [], []
        for k in range(self.weights.size):
            vectors = self._vectors[k]
            centred = [coords[i] - shift[..., k, i] for i in range(d)]
            # U_k^T (x - sqrt(abar) mu_k)
            rotated = [sum(centred[i] * vectors[i, j] for i in range(d))
                       for j in range(d)]
            log_joint.append(self._log_weights[k] - 0.5 * log_norm[..., k]
                             - 0.5 * sum(rotated[j] ** 2 / scale[..., k, j]
                                         for j in range(d)))
            shrunk = [shrink[..., k, j] * rotated[j] for j in range(d)]
            denoised.append([self.means[k, i] + sum(shrunk[j] * vectors[i, j]
                                                    for j in range(d))
                             for i in range(d)])
        return log_joint, denoised

    def log_density(self, x):
        """log q(x_0) of the data at points x of shape (..., d)."""
        return logsumexp(np.stack(self._components(x, 0, None)[0]), axis=0)

    def marginal_log_density(self, xt, t, betas):
        """log q(x_t), the forward marginal of the mixture at step t (0..T)."""
        return logsumexp(np.stack(self._components(xt, t, betas)[0]), axis=0)

    def denoiser(self, xt, t, betas):
        """The ideal denoiser E[x_0 | x_t] (eq-ideal-denoiser), shape (..., d)."""
        return self._average(*self._components(xt, t, betas))

    def _abar(self, abar, xt=None):
        abar = _array("abar", abar)
        if not np.all((abar > 0) & (abar <= 1)):
            raise ValueError("abar (the signal variance alpha^2) must lie in (0, 1]")
        if xt is not None:
            try:
                np.broadcast_shapes(abar.shape, xt.shape[:-1])
            except ValueError as err:
                raise ValueError(f"abar of shape {abar.shape} does not broadcast against "
                                 f"the points' leading shape {xt.shape[:-1]}") from err
        return abar

    def denoiser_at(self, xt, abar):
        """E[x_0 | x_t] when x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps, for any abar
        in (0, 1] (not only a step of a schedule); shape (..., d)."""
        xt = self._points(xt, "xt")
        log_joint, denoised = self._components_at(xt, self._abar(abar, xt))
        return self._average(log_joint, denoised)

    def _average(self, log_joint, denoised):
        resp = self._responsibilities(log_joint)
        return np.stack(self._posterior_mean(resp, denoised), axis=-1)

    def _posterior_mean(self, resp, denoised):
        """sum_k r_k xhat_k, coordinate by coordinate (a list of d arrays)."""
        return [sum(r * hat[i] for r, hat in zip(resp, denoised)) for i in range(self.dim)]

    @staticmethod
    def _responsibilities(log_joint):
        top = log_joint[0]
        for term in log_joint[1:]:
            top = np.maximum(top, term)
        resp = [np.exp(term - top) for term in log_joint]
        total = sum(resp)
        return [r / total for r in resp]

    def denoising_error(self, abar, nodes=40):
        """The minimum mean squared error E||x_0 - E[x_0 | x_t]||^2 of the ideal
        denoiser, averaged over the data and the noise, for each abar in (0, 1).

        It is the within-component part sum_k pi_k tr C_k, with the posterior
        covariance C_k = (Sigma_k^{-1} + abar/(1 - abar) I)^{-1} in closed form,
        plus the between-component part E sum_k r_k ||xhat_k - E[x_0 | x_t]||^2,
        by Gauss-Hermite quadrature with ``nodes`` points per coordinate under
        each component's Gaussian law of x_t.  Both parts are non-negative, so
        nothing cancels when the error is tiny (high signal-to-noise ratio).
        """
        abar = self._abar(abar)
        nodes = count("nodes", nodes, minimum=2)
        if np.any(abar >= 1):
            raise ValueError("abar must be < 1 for the denoising error (no noise, no error)")
        d = self.dim
        grid, weight = standard_normal_rule(nodes, d)     # (n^d, d), (n^d,)
        a = abar[..., None]                                # (abar.shape, 1)
        within = np.sum(self.weights[:, None] * self._lam * (1 - a[..., None])
                        / (a[..., None] * self._lam + 1 - a[..., None]),
                        axis=(-2, -1))
        between = np.zeros(abar.shape)
        for k in range(self.weights.size):
            scale = np.sqrt(a[..., None] * self._lam[k] + 1 - a[..., None])
            # x_t | k ~ N(sqrt(abar) mu_k, U_k diag(scale^2) U_k^T)
            xt = (np.sqrt(a[..., None]) * self.means[k]
                  + (grid * scale) @ self._vectors[k].T)   # (abar.shape, n^d, d)
            log_joint, denoised = self._components_at(xt, abar[..., None])
            resp = self._responsibilities(log_joint)
            mean = self._posterior_mean(resp, denoised)
            spread = sum(r * sum((hat[i] - mean[i]) ** 2 for i in range(d))
                         for r, hat in zip(resp, denoised))
            between = between + self.weights[k] * np.sum(spread * weight, axis=-1)
        return within + between

    def sample(self, n, rng):
        """``n`` draws from the data distribution, shape (n, d)."""
        generator("rng", rng)
        n = count("n", n)
        component = rng.choice(self.weights.size, size=n, p=self.weights)
        noise = rng.standard_normal((n, self.dim))
        root = self._vectors * np.sqrt(self._lam)[:, None, :]       # U diag(sqrt lam)
        return self.means[component] + np.einsum("nij,nj->ni", root[component], noise)


# ---- any Gaussian reverse model ----------------------------------------------------

MeanFunction = Callable[[np.ndarray, int], np.ndarray]


def _row_sum(a):
    """``a.sum(axis=-1)``.  For fewer than 8 columns NumPy adds them in order, and
    so does this, column by column: much quicker than reducing a short axis."""
    if a.shape[-1] >= 8:
        return a.sum(axis=-1)
    total = a[..., 0].copy()
    for i in range(1, a.shape[-1]):
        total += a[..., i]
    return total


def _reverse_model(betas, reverse_var, rng):
    betas = _betas(betas)
    reverse_var = _positive("reverse_var", reverse_var)
    if reverse_var.shape != betas.shape:
        raise ValueError(f"reverse_var must have one variance per step, shape "
                         f"{betas.shape}, got {reverse_var.shape}")
    generator("rng", rng)
    return betas, reverse_var


def elbo_chain_samples(x0, betas, reverse_mean: MeanFunction, reverse_var, rng):
    """One-sample Monte Carlo terms of the ELBO, one per row of ``x0`` (shape (n, d)).

    Runs the forward chain x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps_t from
    each x_0 and returns log p(x_T) + sum_t log p(x_{t-1} | x_t)
    - sum_t log q(x_t | x_{t-1}) (Ho et al.'s eq. 3, book: eq-ddpm-elbo) for the model
    p(x_T) = N(0, I), p(x_{t-1} | x_t) = N(reverse_mean(x_t, t), reverse_var[t-1] I).
    Its mean over chains is the ELBO of x_0.
    """
    function("reverse_mean", reverse_mean)
    betas, reverse_var = _reverse_model(betas, reverse_var, rng)
    x_prev = _array("x0", x0)
    if x_prev.ndim != 2:
        raise ValueError(f"x0 must have shape (n, d), got {x_prev.shape}")
    total = np.zeros(x_prev.shape[0])
    # log N(noise; 0, I) = log N(0; 0, 1) - noise^2 / 2 coordinatewise: the
    # helper's own constant, the same floating-point operations as
    # log_normal(noise, 0, 1)
    log_peak = log_normal(0.0, 0.0, 1.0)
    d = x_prev.shape[-1]
    for t in range(1, betas.size + 1):
        beta = betas[t - 1]
        noise = rng.standard_normal(x_prev.shape)
        x_t = np.sqrt(1 - beta) * x_prev + np.sqrt(beta) * noise
        mean = reverse_mean(x_t, t)
        total += (_row_sum(log_normal(x_prev, mean, reverse_var[t - 1]))
                  - _row_sum(log_peak - 0.5 * noise ** 2) + 0.5 * d
                  * np.log(beta))                         # log q(x_t | x_{t-1})
        x_prev = x_t
    return total + _row_sum(log_normal(x_prev, 0.0, 1.0))


def ancestral_samples(n, d, betas, reverse_mean: MeanFunction, reverse_var, rng):
    """Draws x_0 from the model: x_T ~ N(0, I), then x_{t-1} ~ N(reverse_mean(x_t, t),
    reverse_var[t-1] I) for t = T..1.  Returns shape (n, d)."""
    n, d = count("n", n), count("d", d)
    function("reverse_mean", reverse_mean)
    betas, reverse_var = _reverse_model(betas, reverse_var, rng)
    x = rng.standard_normal((n, d))
    for t in range(betas.size, 0, -1):
        x = reverse_mean(x, t) + np.sqrt(reverse_var[t - 1]) * rng.standard_normal((n, d))
    return x
