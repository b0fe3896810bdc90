"""Probabilistic PCA and the linear VAE: a VAE whose evidence and ELBO are exact.

Model (pPCA, Tipping & Bishop 1999): ``z ~ N(0, I_k)``,
``x | z ~ N(W z + mu, noise_var I_D)``, so ``x ~ N(mu, W W^T + noise_var I)``.
Encoder (linear VAE, Lucas et al. 2019): ``q(z | x) = N(V (x - mu), S)`` with a
``k x k`` covariance ``S``; a VAE's encoder has ``S`` diagonal, ``enc_var``.

Shapes: ``X`` is ``(N, D)``, one data point per row, or ``(D,)`` for one point;
``W`` is ``(D, k)``, ``mu`` ``(D,)``, ``V`` ``(k, D)``.  Natural logarithms
(nats).  Book equations: (eq-ppca-evidence), (eq-ppca-posterior),
(eq-linear-vae-elbo), (eq-ppca-ml), (eq-linear-beta).
"""

from __future__ import annotations

from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from autograd.misc import flatten
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from helpers.validation import count

# Tiny matrices: one BLAS thread is fastest, and immune to a busy CPU (several
# threads spinning on two shared cores can be ten times slower).
_one_thread = threadpool_limits.wrap(limits=1, user_api="blas")

__all__ = ["ppca_log_likelihood", "ppca_posterior", "linear_vae_elbo", "ppca_ml",
           "fit_linear_vae", "LinearVAE", "fit_ppca", "linear_beta_optimum"]


# ---- validation ---------------------------------------------------------------

def _array(name, value, ndim):
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of real numbers") from err
    if array.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} "
                         f"dimension(s), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def _positive(name, value):
    value = _array(name, value, (0,))
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {float(value)}")
    return float(value)


def _model(X, W, mu, noise_var):
    """Validated ``(X as 2-D, was_1d, W, mu, noise_var)``."""
    X, W, mu = _array("X", X, (1, 2)), _array("W", W, (2,)), _array("mu", mu, (1,))
    single = X.ndim == 1
    X = X[None, :] if single else X
    D = X.shape[1]
    if W.shape[0] != D:
        raise ValueError(f"W must have D = {D} rows like X, got shape {W.shape}")
    if mu.shape != (D,):
        raise ValueError(f"mu must have shape ({D},) like X's rows, got {mu.shape}")
    return X, single, W, mu, _positive("noise_var", noise_var)


def _encoder_cov(S, k):
    """``S`` as a full ``k x k`` covariance; a 1-D ``S`` is its diagonal."""
    S = _array("S", S, (1, 2))
    S = np.diag(S) if S.ndim == 1 else S
    if S.shape != (k, k):
        raise ValueError(f"S must have shape ({k},) or ({k}, {k}), got {S.shape}")
    try:
        np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        raise ValueError("S must be symmetric positive definite") from None
    if not np.allclose(S, S.T, rtol=1e-12, atol=0):
        raise ValueError("S must be symmetric positive definite")
    return S


def _logdet(matrix):
    return 2.0 * np.sum(np.log(np.diag(np.linalg.cholesky(matrix))))


# ---- exact quantities ---------------------------------------------------------

def ppca_log_likelihood(X, W, mu, noise_var):
    """``log N(x; mu, W W^T + noise_var I)`` for each row ``x`` of ``X`` (eq-ppca-evidence).

    Returns an array of shape ``(N,)``, or a float for a single point ``(D,)``.
    """
    X, single, W, mu, noise_var = _model(X, W, mu, noise_var)
    D = X.shape[1]
    chol = np.linalg.cholesky(W @ W.T + noise_var * np.eye(D))
    whitened = np.linalg.solve(chol, (X - mu).T)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    out = -0.5 * (D * np.log(2 * np.pi) + logdet + np.sum(whitened**2, axis=0))
    return float(out[0]) if single else out


def ppca_posterior(X, W, mu, noise_var):
    """Mean(s) and covariance of ``p(z | x)`` (eq-ppca-posterior).

    With ``M = W^T W + noise_var I_k``: mean ``M^-1 W^T (x - mu)`` (one row per
    data point) and covariance ``noise_var M^-1``, the same for every ``x``.
    """
    X, single, W, mu, noise_var = _model(X, W, mu, noise_var)
    M = W.T @ W + noise_var * np.eye(W.shape[1])
    means = np.linalg.solve(M, W.T @ (X - mu).T).T
    return (means[0] if single else means), noise_var * np.linalg.inv(M)


def linear_vae_elbo(X, W, mu, noise_var, V, S):
    """ELBO of the encoder ``q(z | x) = N(V (x - mu), S)`` for each row of ``X``.

    Closed form (eq-linear-vae-elbo), with ``m = V (x - mu)``:
    ``-D/2 log(2 pi noise_var) - (|x - mu - W m|^2 + tr(W S W^T)) / (2 noise_var)``
    ``- 1/2 (tr S + |m|^2 - k - log det S)``.
    ``S`` is a ``k x k`` covariance, or a 1-D array: its diagonal.
    """
    X, single, W, mu, noise_var = _model(X, W, mu, noise_var)
    D, k = W.shape
    V = _array("V", V, (2,))
    if V.shape != (k, D):
        raise ValueError(f"V must have shape ({k}, {D}) to match W, got {V.shape}")
    S = _encoder_cov(S, k)
    m = (X - mu) @ V.T
    residual = X - mu - m @ W.T
    reconstruction = (-0.5 * D * np.log(2 * np.pi * noise_var)
                      - (np.sum(residual**2, axis=1) + np.trace(W @ S @ W.T))
                      / (2 * noise_var))
    kl = 0.5 * (np.trace(S) + np.sum(m**2, axis=1) - k - _logdet(S))
    out = reconstruction - kl
    return float(out[0]) if single else out


def _moments(X):
    X = _array("X", X, (2,))
    if X.shape[0] < 2:
        raise ValueError(f"X must hold at least 2 rows (data points), got {X.shape[0]}")
    mean = X.mean(axis=0)
    return X, mean, (X - mean).T @ (X - mean) / X.shape[0]


def _latent_size(k, D):
    if not (isinstance(k, (int, np.integer)) and 1 <= k < D):
        raise ValueError(f"k must be an integer with 1 <= k < D = {D}, got {k!r}")
    return int(k)


def ppca_ml(X, k):
    """Maximum-likelihood pPCA with ``k`` latent dimensions, in closed form (eq-ppca-ml).

    With the sample covariance ``C = U diag(lam) U^T`` (divisor N, ``lam``
    decreasing): ``mu`` = the sample mean, ``noise_var`` = the mean of the
    ``D - k`` smallest eigenvalues, ``W = U_k (diag(lam_k) - noise_var I)^(1/2)``
    (the rotation ``R = I``).  Returns ``(W, mu, noise_var)``.
    """
    X, mean, cov = _moments(X)
    k = _latent_size(k, X.shape[1])
    lam, U = np.linalg.eigh(cov)
    lam, U = lam[::-1], U[:, ::-1]
    noise_var = float(lam[k:].mean())
    if not noise_var > 0:
        raise ValueError("X has no variance outside k dimensions: noise_var would be 0")
    return U[:, :k] * np.sqrt(np.maximum(lam[:k] - noise_var, 0.0)), mean, noise_var


def linear_beta_optimum(eigenvalues, noise_var, beta=1.0):
    """The linear beta-VAE's optimum along each data eigenvalue (eq-linear-beta).

    With the observation noise fixed: ``w^2 = max(lam - beta noise_var, 0)``,
    encoder variance ``beta noise_var / (beta noise_var + w^2)``, and the KL
    (rate) ``max(log(lam / (beta noise_var)), 0) / 2`` nats per data point.
    Returns ``(w_sq, enc_var, rate)``, arrays like ``eigenvalues``.
    """
    lam = _array("eigenvalues", eigenvalues, (0, 1))
    if np.any(lam < 0):
        raise ValueError("eigenvalues must be non-negative")
    level = _positive("beta", beta) * _positive("noise_var", noise_var)
    w_sq = np.maximum(lam - level, 0.0)
    return w_sq, level / (level + w_sq), 0.5 * np.log(np.maximum(lam / level, 1.0))


# ---- fitting by maximising the (beta-weighted) ELBO ----------------------------

@dataclass(frozen=True)
class LinearVAE:
    """A fitted linear VAE; ``objective`` is the mean over the data of the fit's target."""

    W: np.ndarray
    mu: np.ndarray
    noise_var: float
    V: np.ndarray
    enc_var: np.ndarray
    objective: float
    iterations: int


def _mean_objective(params, mean, cov, beta, noise_var):
    """Mean over the data of ``E_q[log p(x | z)] - beta KL``, from its mean and covariance.

    Uses ``mean_n |A (x_n - mu)|^2 = tr(A C_mu A^T)`` with
    ``C_mu = cov + (mean - mu)(mean - mu)^T``; written with autograd.numpy.
    """
    W, V, mu, log_s = params["W"], params["V"], params["mu"], params["log_enc_var"]
    if noise_var is None:
        noise_var = anp.exp(params["log_noise_var"])
    D, k = W.shape
    offset = mean - mu
    cov_mu = cov + anp.outer(offset, offset)
    A = anp.eye(D) - anp.dot(W, V)
    squared_error = anp.sum(anp.dot(A, cov_mu) * A) + anp.sum(W**2 * anp.exp(log_s))
    reconstruction = (-0.5 * D * anp.log(2 * np.pi * noise_var)
                      - squared_error / (2 * noise_var))
    kl = 0.5 * (anp.sum(anp.exp(log_s)) + anp.sum(anp.dot(V, cov_mu) * V)
                - k - anp.sum(log_s))
    return reconstruction - beta * kl


def _mean_objective_and_grad(params, mean, cov, beta, noise_var):
    """``_mean_objective`` and its gradient (a dict like ``params``), in closed form.

    With ``A = I - W V``, ``C_mu`` as in ``_mean_objective``, ``s = exp(log_enc_var)``
    and ``n`` the noise variance, the objective's derivatives are
    ``d/dW = (A C_mu V^T - W diag s) / n``, ``d/dV = W^T A C_mu / n - beta V C_mu``,
    ``d/dmu = (A^T A / n + beta V^T V)(mean - mu)``,
    ``d/dlog s_j = -s_j |W_j|^2 / (2 n) - beta (s_j - 1) / 2`` and
    ``d/dlog n = -D/2 + squared_error / (2 n)``; tests compare them with autograd.
    """
    W, V, mu, log_s = params["W"], params["V"], params["mu"], params["log_enc_var"]
    learn_noise = noise_var is None
    if learn_noise:
        noise_var = np.exp(params["log_noise_var"])
    D, k = W.shape
    offset = mean - mu
    cov_mu = cov + np.outer(offset, offset)
    A = np.eye(D) - W @ V
    A_cov = A @ cov_mu
    V_cov = V @ cov_mu
    enc_var = np.exp(log_s)
    col_sq = np.sum(W**2, axis=0)
    squared_error = np.sum(A_cov * A) + np.sum(W**2 * enc_var)
    reconstruction = (-0.5 * D * np.log(2 * np.pi * noise_var)
                      - squared_error / (2 * noise_var))
    kl = 0.5 * (np.sum(enc_var) + np.sum(V_cov * V) - k - np.sum(log_s))
    grads = {"W": (A_cov @ V.T - W * enc_var) / noise_var,
             "V": W.T @ A_cov / noise_var - beta * V_cov,
             "mu": (A.T @ A / noise_var + beta * V.T @ V) @ offset,
             "log_enc_var": -enc_var * col_sq / (2 * noise_var)
                            - 0.5 * beta * (enc_var - 1)}
    if learn_noise:
        grads["log_noise_var"] = -0.5 * D + squared_error / (2 * noise_var)
    return reconstruction - beta * kl, grads


def _packing(template):
    """``(flat, unflatten, pack)`` for a dict of arrays, in autograd's ``flatten`` order.

    The flat vector is the raveled values in sorted key order, as
    ``autograd.misc.flatten`` makes it, without its per-call overhead.
    """
    keys = sorted(template)
    shapes = [np.shape(template[key]) for key in keys]
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes])

    def pack(values):
        return np.concatenate([np.ravel(values[key]) for key in keys])

    def unflatten(flat):
        parts = np.split(flat, ends[:-1])
        return {key: part.reshape(shape) for key, part, shape in zip(keys, parts, shapes)}

    return pack(template), unflatten, pack


@_one_thread
def fit_linear_vae(X, k, *, beta=1.0, noise_var=None, seed=0, max_iter=20_000):
    """Fit a linear VAE (diagonal encoder) to ``X`` by L-BFGS on the mean ELBO.

    Maximises ``E_q[log p(x | z)] - beta KL(q || N(0, I))`` averaged over the
    rows of ``X`` over ``W, mu, V``, the encoder variances and, unless
    ``noise_var`` is given (then held fixed), the noise variance.  Gradients
    are analytic (``_mean_objective_and_grad``, tested against autograd); the
    start is random (``seed``): ``W`` then ``V`` with entries ``0.1 N(0, 1)``,
    ``mu = 0``, encoder variances 1 and the noise variance ``tr(C) / D`` (``C``
    the sample covariance).  With ``beta = 1`` the objective is the mean ELBO.
    """
    X, mean, cov = _moments(X)
    D = X.shape[1]
    k = _latent_size(k, D)
    beta = _positive("beta", beta)
    fixed = None if noise_var is None else _positive("noise_var", noise_var)
    max_iter = count("max_iter", max_iter)
    rng = np.random.default_rng(count("seed", seed, minimum=0))
    start = {"W": 0.1 * rng.standard_normal((D, k)), "V": 0.1 * rng.standard_normal((k, D)),
             "mu": np.zeros(D), "log_enc_var": np.zeros(k)}
    if fixed is None:
        start["log_noise_var"] = np.log(np.trace(cov) / D)
    flat, unflatten, pack = _packing(start)

    def loss(v):
        value, grads = _mean_objective_and_grad(unflatten(v), mean, cov, beta, fixed)
        return -value, -pack(grads)

    result = minimize(loss, flat, jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "maxfun": 2 * max_iter,
                               "ftol": 1e-15, "gtol": 1e-10})
    best = unflatten(result.x)
    fitted_noise = fixed if fixed is not None else float(np.exp(best["log_noise_var"]))
    return LinearVAE(best["W"], best["mu"], fitted_noise, best["V"],
                     np.exp(best["log_enc_var"]), -float(result.fun), int(result.nit))


def _mean_log_likelihood(params, cov, noise_var):
    """Mean pPCA log-likelihood with ``mu`` at the sample mean (its ML value for any W)."""
    W = params["W"]
    if noise_var is None:
        noise_var = anp.exp(params["log_noise_var"])
    C = anp.dot(W, W.T) + noise_var * anp.eye(W.shape[0])
    return -0.5 * (W.shape[0] * np.log(2 * np.pi) + anp.linalg.slogdet(C)[1]
                   + anp.trace(anp.linalg.solve(C, cov)))


@_one_thread
def fit_ppca(X, k, *, noise_var=None, seed=0, max_iter=20_000):
    """Maximise the exact pPCA log-likelihood numerically (L-BFGS, autograd gradients).

    ``mu`` is the sample mean; ``W`` starts at random (``seed``: entries
    ``0.1 N(0, 1)``); ``noise_var`` is learned (from ``tr(C) / D``, ``C`` the
    sample covariance) unless given.
    Returns ``(W, mu, noise_var, mean_log_likelihood)``.
    """
    X, mean, cov = _moments(X)
    D = X.shape[1]
    k = _latent_size(k, D)
    fixed = None if noise_var is None else _positive("noise_var", noise_var)
    max_iter = count("max_iter", max_iter)
    start = {"W": 0.1 * np.random.default_rng(count("seed", seed, minimum=0))
             .standard_normal((D, k))}
    if fixed is None:
        start["log_noise_var"] = np.log(np.trace(cov) / D)
    flat, unflatten = flatten(start)
    loss = value_and_grad(lambda v: -_mean_log_likelihood(unflatten(v), cov, fixed))
    result = minimize(loss, flat, jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-10})
    best = unflatten(result.x)
    fitted_noise = fixed if fixed is not None else float(np.exp(best["log_noise_var"]))
    return best["W"], mean, fitted_noise, -float(result.fun)
