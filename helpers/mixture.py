"""Expectation–maximisation for a Gaussian mixture, and the ELBO it climbs.

Model (book: eq-em-mixture): ``z_n ~ Categorical(weights)`` and
``x_n | z_n = k ~ N(means[k], covs[k])``, independently for ``n = 1..N``, so

    log p(X; theta) = sum_n log sum_k weights[k] N(x_n; means[k], covs[k]).

ELBO of a distribution ``q[n, k] = q(z_n = k)`` over the labels (eq-em-elbo):

    ELBO(q, theta) = sum_n sum_k q[n, k] (log p(x_n, z_n = k; theta) - log q[n, k]),

with ``0 log 0 = 0``.  EM alternates two maximisations of it
(Neal & Hinton 1998):

- E-step (eq-em-estep): ``q = responsibilities(...)``, the exact posterior
  ``q[n, k] = weights[k] N(x_n; k) / sum_j weights[j] N(x_n; j)``, at which the
  ELBO equals the log-likelihood;
- M-step (eq-em-mstep): ``m_step(X, q)``, the maximiser of ``E_q log p(X, z)``:
  ``weights[k] = N_k / N``, ``means[k]`` the ``q``-weighted mean and ``covs[k]``
  the ``q``-weighted covariance about it, where ``N_k = sum_n q[n, k]``.

Shapes: ``X`` is ``(N, d)``, one point per row, with ``means`` ``(K, d)`` and
``covs`` ``(K, d, d)`` (full covariances); or ``X`` is ``(N,)`` for
one-dimensional data, with ``means`` ``(K,)`` and ``covs`` ``(K,)`` variances.
``weights`` is ``(K,)``.  Natural logarithms (nats).  Invalid input raises
``ValueError`` naming the argument and the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp, xlogy

from helpers.validation import real_array as _real

__all__ = ["MixtureParams", "EMHistory", "log_joint", "log_density", "log_likelihood",
           "responsibilities", "hard_assignments", "m_step", "elbo", "em"]

_SUM_ATOL = 1e-9          # how far a probability vector's sum may be from 1
_SYMMETRY_RTOL = 1e-10


class MixtureParams(NamedTuple):
    """The parameters ``theta = (weights, means, covs)`` of a Gaussian mixture."""

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray


# ---- validation -------------------------------------------------------------------

def _data(X) -> tuple[np.ndarray, bool]:
    """``X`` as an ``(N, d)`` array, and whether it was given one-dimensional."""
    X = _real("X", X)
    if X.ndim not in (1, 2) or X.shape[0] < 1 or X.size < 1:
        raise ValueError(f"X must have shape (N,) or (N, d) with N >= 1, got {X.shape}")
    return (X[:, None], True) if X.ndim == 1 else (X, False)


def _params(weights, means, covs, d: int, one_d: bool):
    """Validated ``(weights (K,), means (K, d), covs (K, d, d))``."""
    weights = _real("weights", weights)
    if weights.ndim != 1 or weights.size < 1:
        raise ValueError(f"weights must be a non-empty 1-D array, got shape {weights.shape}")
    if np.any(weights <= 0):
        raise ValueError("weights must be positive")
    if abs(weights.sum() - 1.0) > _SUM_ATOL:
        raise ValueError(f"weights must sum to 1, got sum {weights.sum()!r}")
    K = weights.size
    means, covs = _real("means", means), _real("covs", covs)
    if one_d:
        if means.shape != (K,):
            raise ValueError(f"means must have shape ({K},) for 1-D X, got {means.shape}")
        if covs.shape != (K,):
            raise ValueError(f"covs must have shape ({K},) (variances) for 1-D X, "
                             f"got {covs.shape}")
        if np.any(covs <= 0):
            raise ValueError("covs must be positive variances")
        return weights, means[:, None], covs[:, None, None]
    if means.shape != (K, d):
        raise ValueError(f"means must have shape ({K}, {d}), got {means.shape}")
    if covs.shape != (K, d, d):
        raise ValueError(f"covs must have shape ({K}, {d}, {d}), got {covs.shape}")
    scale = np.max(np.abs(covs), axis=(1, 2))
    if np.any(np.max(np.abs(covs - covs.transpose(0, 2, 1)), axis=(1, 2))
              > _SYMMETRY_RTOL * scale):
        raise ValueError("covs must be symmetric matrices")
    return weights, means, covs


def _cholesky(covs) -> np.ndarray:
    try:
        return np.linalg.cholesky(covs)
    except np.linalg.LinAlgError as err:
        raise ValueError("covs must be positive definite") from err


def _labels(name, q, N: int, K: int) -> np.ndarray:
    q = _real(name, q)
    if q.shape != (N, K):
        raise ValueError(f"{name} must have shape (N, K) = ({N}, {K}), got {q.shape}")
    if np.any(q < 0):
        raise ValueError(f"{name} must be non-negative")
    if np.max(np.abs(q.sum(axis=1) - 1.0)) > _SUM_ATOL:
        raise ValueError(f"each row of {name} must sum to 1")
    return q


def _as_params(name, params) -> MixtureParams:
    try:
        weights, means, covs = params
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (weights, means, covs)") from None
    return MixtureParams(weights, means, covs)


# ---- the model -------------------------------------------------------------------

def log_joint(X, weights, means, covs) -> np.ndarray:
    """``log p(x_n, z_n = k) = log weights[k] + log N(x_n; means[k], covs[k])``, ``(N, K)``.

    The Gaussian log-density uses the Cholesky factor ``covs[k] = L L^T``:
    ``-1/2 (d log 2 pi + log det covs[k] + |L^-1 (x_n - means[k])|^2)``.
    Book equation: (eq-em-mixture).
    """
    X, one_d = _data(X)
    weights, means, covs = _params(weights, means, covs, X.shape[1], one_d)
    chol = _cholesky(covs)                                    # (K, d, d), lower
    diff = X[None, :, :] - means[:, None, :]                  # (K, N, d)
    white = np.linalg.solve(chol, diff.transpose(0, 2, 1))    # (K, d, N)
    mahalanobis = np.sum(white**2, axis=1)                    # (K, N)
    log_det = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
    d = X.shape[1]
    log_normal = -0.5 * (d * np.log(2.0 * np.pi) + log_det[:, None] + mahalanobis)
    return (np.log(weights)[:, None] + log_normal).T


def log_density(X, weights, means, covs) -> np.ndarray:
    """``log p(x_n) = logsumexp_k log p(x_n, z_n = k)`` for each point, shape ``(N,)``."""
    return logsumexp(log_joint(X, weights, means, covs), axis=1)


def log_likelihood(X, weights, means, covs) -> float:
    """``log p(X; theta) = sum_n log sum_k weights[k] N(x_n; means[k], covs[k])``.

    Book equation: (eq-em-mixture).
    """
    return float(np.sum(log_density(X, weights, means, covs)))


# ---- the two steps ----------------------------------------------------------------

def responsibilities(X, weights, means, covs) -> np.ndarray:
    """The E-step: the posterior ``p(z_n = k | x_n)``, shape ``(N, K)``.

    ``q[n, k] = exp(log p(x_n, z_n = k) - logsumexp_j log p(x_n, z_n = j))``,
    computed in log space so that no density underflows.  It maximises the ELBO
    over all ``q`` and makes it equal to the log-likelihood (eq-em-estep).
    """
    joint = log_joint(X, weights, means, covs)
    return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))


def hard_assignments(X, weights, means, covs) -> np.ndarray:
    """The best *one-hot* ``q``: ``q[n, k] = 1`` for the most probable label of ``x_n``.

    Among distributions that put all their mass on one label per point, the
    ELBO is ``sum_n log p(x_n, z_n = k_n)``, largest at
    ``k_n = argmax_k p(z_n = k | x_n)`` (ties: the smallest ``k``).  Used as the
    E-step it gives "hard" (classification) EM, which climbs the ELBO but cannot
    close its gap to the log-likelihood (eq-em-hard-gap).
    """
    joint = log_joint(X, weights, means, covs)
    q = np.zeros_like(joint)
    q[np.arange(joint.shape[0]), np.argmax(joint, axis=1)] = 1.0
    return q


def m_step(X, q) -> MixtureParams:
    """The M-step: the ``theta`` that maximises ``sum_n sum_k q[n, k] log p(x_n, z_n = k)``.

    With ``N_k = sum_n q[n, k]`` (book: eq-em-mstep)::

        weights[k] = N_k / N
        means[k]   = sum_n q[n, k] x_n / N_k
        covs[k]    = sum_n q[n, k] (x_n - means[k]) (x_n - means[k])^T / N_k

    Raises ``ValueError`` if ``q`` gives a component no weight (``N_k = 0``) or
    leaves it a singular covariance (all its weight on too few distinct points).
    """
    X, one_d = _data(X)
    N = X.shape[0]
    q = _real("q", q)
    if q.ndim != 2 or q.shape[0] != N or q.shape[1] < 1:
        raise ValueError(f"q must have shape (N, K) with N = {N}, got {q.shape}")
    q = _labels("q", q, N, q.shape[1])
    counts = q.sum(axis=0)                                    # N_k
    if np.any(counts <= 0):
        raise ValueError(f"q must give every component some weight; component "
                         f"{int(np.argmin(counts))} has none")
    weights = counts / N
    means = (q.T @ X) / counts[:, None]                       # (K, d)
    diff = X[None, :, :] - means[:, None, :]                  # (K, N, d)
    covs = np.einsum("nk,kni,knj->kij", q, diff, diff) / counts[:, None, None]
    covs = 0.5 * (covs + covs.transpose(0, 2, 1))
    singular = [k for k in range(counts.size)
                if np.linalg.eigvalsh(covs[k])[0] <= 1e-12 * max(np.trace(covs[k]), 1e-300)]
    if singular:
        raise ValueError(f"q leaves component {singular[0]} with a singular covariance "
                         "(its weight sits on too few distinct points)")
    if one_d:
        return MixtureParams(weights, means[:, 0], covs[:, 0, 0])
    return MixtureParams(weights, means, covs)


def elbo(X, q, params) -> float:
    """``ELBO(q, theta) = sum_n sum_k q[n, k] (log p(x_n, z_n = k) - log q[n, k])``.

    ``params`` is ``(weights, means, covs)``; ``0 log 0 = 0``.  Never above
    :func:`log_likelihood`, equal to it exactly when ``q`` is the posterior
    (book: eq-em-elbo, eq-em-estep).
    """
    weights, means, covs = _as_params("params", params)
    joint = log_joint(X, weights, means, covs)
    q = _labels("q", q, *joint.shape)
    return float(np.sum(q * joint) - np.sum(xlogy(q, q)))


# ---- the algorithm ----------------------------------------------------------------

@dataclass(frozen=True)
class EMHistory:
    """Everything :func:`em` computed, iteration by iteration (``T`` iterations).

    ``params[t]`` is ``theta_t`` (``params[0]`` the initialisation), ``q[t]`` the
    ``q`` of the E-step of iteration ``t + 1`` (computed from ``params[t]``).

    - ``log_likelihood[t] = log p(X; theta_t)``, ``T + 1`` values;
    - ``elbo_e[t] = ELBO(q[t], theta_t)``, after the E-step of iteration ``t + 1``;
    - ``elbo_m[t] = ELBO(q[t], theta_{t+1})``, after its M-step.
    """

    params: tuple
    q: np.ndarray
    log_likelihood: np.ndarray
    elbo_e: np.ndarray
    elbo_m: np.ndarray

    @property
    def n_iter(self) -> int:
        return len(self.params) - 1

    def half_steps(self) -> tuple[np.ndarray, np.ndarray]:
        """``(log_likelihood, elbo)`` after each half-step: E, M, E, M, ... (``2T`` values).

        After the E-step of iteration ``t + 1`` the parameters are still
        ``theta_t``; after its M-step they are ``theta_{t+1}``.
        """
        log_lik = np.empty(2 * self.n_iter)
        bound = np.empty(2 * self.n_iter)
        log_lik[0::2], log_lik[1::2] = self.log_likelihood[:-1], self.log_likelihood[1:]
        bound[0::2], bound[1::2] = self.elbo_e, self.elbo_m
        return log_lik, bound


def em(X, init, n_iter: int,
       e_step: Callable = responsibilities) -> EMHistory:
    """Run ``n_iter`` iterations of EM from ``init = (weights, means, covs)``.

    Each iteration sets ``q = e_step(X, *theta)`` (by default the exact
    posterior, :func:`responsibilities`), then ``theta = m_step(X, q)``, and
    records the log-likelihood and the ELBO after each half-step
    (:class:`EMHistory`).  Pass ``e_step=hard_assignments`` for hard EM.
    """
    if not isinstance(n_iter, (int, np.integer)) or isinstance(n_iter, bool) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    if not callable(e_step):
        raise ValueError("e_step must be a function (X, weights, means, covs) -> q")
    theta = _as_params("init", init)
    log_lik = [log_likelihood(X, *theta)]             # validates X and init
    theta = MixtureParams(*(np.asarray(a, dtype=np.float64) for a in theta))
    params, qs = [theta], []
    elbo_e, elbo_m = [], []
    for _ in range(int(n_iter)):
        q = e_step(X, *theta)
        elbo_e.append(elbo(X, q, theta))
        theta = m_step(X, q)
        elbo_m.append(elbo(X, q, theta))
        log_lik.append(log_likelihood(X, *theta))
        params.append(theta)
        qs.append(q)
    return EMHistory(tuple(params), np.array(qs), np.array(log_lik),
                     np.array(elbo_e), np.array(elbo_m))
