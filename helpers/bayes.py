"""Bayesian linear regression with a Normal-Gamma prior: exact evidence and mean-field CAVI.

The model (book: eq-vb-model), for a design matrix ``Phi`` (n x d) and targets ``y`` (n)::

    tau         ~ Gamma(a0, b0)                 shape a0, rate b0
    w | tau     ~ N(m0, (tau Lambda0)^-1)       Lambda0: d x d prior precision, SPD
    y | w, tau  ~ N(Phi w, tau^-1 I_n)

The prior is conjugate, so everything exact has a closed form
(:class:`NormalGammaRegression`): the posterior (eq-vb-posterior) and the log
evidence (eq-vb-evidence), the log density of a multivariate Student t with
2 a0 degrees of freedom::

    p(w, tau | y) = N(w; m_n, (tau Lambda_n)^-1) Gamma(tau; a_n, b_n),
    Lambda_n = Lambda0 + Phi^T Phi,   Lambda_n m_n = Lambda0 m0 + Phi^T y,
    a_n = a0 + n/2,   b_n = b0 + (||y - Phi m_n||^2 + (m_n - m0)^T Lambda0 (m_n - m0)) / 2,
    log p(y) = -n/2 log(2 pi) + 1/2 log det Lambda0 - 1/2 log det Lambda_n
               + a0 log b0 - a_n log b_n + log Gamma(a_n) - log Gamma(a0).

The posterior does not factorise over w and tau, so a mean-field family
q(w, tau) = q(w) q(tau), q(w) = N(mean, cov), q(tau) = Gamma(shape, rate), can
only approximate it.  q(w) may be split further into independent *blocks* of
coordinates (``blocks="diagonal"``: one per coordinate).  The functions here:

- :func:`update_w`, :func:`update_tau`: one CAVI update, the exact maximiser of
  the ELBO over one factor with the others fixed (eq-vb-update-w, eq-vb-update-tau);
- :func:`cavi`: sweeps of those updates, with the ELBO after every update
  (eq-vb-monotone: it never decreases);
- :func:`elbo`: the ELBO from the model's own terms (eq-vb-elbo);
- :func:`kl_to_posterior`: KL(q || p(w, tau | y)) from the posterior's parameters
  (eq-vb-gap: log p(y) = ELBO + KL, which the two independent formulas confirm);
- :func:`fixed_point`, :func:`fixed_point_gap`: where CAVI converges and the gap
  left there, in closed form (eq-vb-fixed-point, eq-vb-gap-fixed, eq-vb-gap-blocks).

Gamma distributions use shape and *rate*; natural logarithms (nats) throughout;
float64.  Bad input raises ``ValueError`` naming the argument and the rule.
Book chapter: vb.md.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.special import digamma, gammaln

from helpers.validation import count, generator
from helpers.validation import real_array as _array
from helpers.validation import spd_cholesky

__all__ = [
    "NormalGammaRegression", "NormalGamma", "MeanField", "CaviResult",
    "polynomial_design", "log_gamma_pdf", "kl_gamma",
    "elbo", "kl_to_posterior", "log_q", "sample_q",
    "update_w", "update_tau", "initial_q", "cavi", "fixed_point", "fixed_point_gap",
]

_LOG_2PI = np.log(2.0 * np.pi)


# ---- validation ----------------------------------------------------------------

def _positive_scalar(name, value):
    array = _array(name, value)
    if array.ndim or not array > 0:
        raise ValueError(f"{name} must be a single positive number, got {value!r}")
    return float(array)


def _logdet(chol):
    return 2.0 * np.sum(np.log(np.diag(chol)))


# ---- small distributions ---------------------------------------------------------

def log_gamma_pdf(tau, shape, rate):
    """log Gamma(tau; shape, rate), elementwise for tau > 0.

    Equal to shape log rate - log Gamma(shape) + (shape - 1) log tau - rate tau.
    """
    tau = _array("tau", tau)
    if not np.all(tau > 0):
        raise ValueError("tau must be positive")
    shape, rate = _positive_scalar("shape", shape), _positive_scalar("rate", rate)
    return (shape * np.log(rate) - gammaln(shape) + (shape - 1.0) * np.log(tau)
            - rate * tau)


def kl_gamma(shape_q, rate_q, shape_p, rate_p):
    """KL(Gamma(shape_q, rate_q) || Gamma(shape_p, rate_p)), in nats.

    With (a, b) = (shape_q, rate_q) and (a', b') = (shape_p, rate_p)::

        (a - a') psi(a) - log Gamma(a) + log Gamma(a') + a' (log b - log b') + a (b' - b) / b
    """
    a, b = _positive_scalar("shape_q", shape_q), _positive_scalar("rate_q", rate_q)
    a_p, b_p = _positive_scalar("shape_p", shape_p), _positive_scalar("rate_p", rate_p)
    return float((a - a_p) * digamma(a) - gammaln(a) + gammaln(a_p)
                 + a_p * (np.log(b) - np.log(b_p)) + a * (b_p - b) / b)


def polynomial_design(x, degree):
    """The design matrix [1, x, x^2, ..., x^degree], one row per entry of ``x``."""
    x = _array("x", x)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be a non-empty 1-D array, got shape {x.shape}")
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) \
            or degree < 0:
        raise ValueError(f"degree must be a non-negative integer, got {degree!r}")
    return x[:, None] ** np.arange(degree + 1)


# ---- the model -------------------------------------------------------------------

class NormalGamma(NamedTuple):
    """N(w; mean, (tau precision)^-1) Gamma(tau; shape, rate): the exact posterior."""

    mean: np.ndarray
    precision: np.ndarray
    shape: float
    rate: float


class NormalGammaRegression:
    """Linear regression with a Normal-Gamma prior (book: eq-vb-model).

    ``design`` is Phi (n x d), ``targets`` is y (n), ``prior_mean`` m0 (d),
    ``prior_precision`` Lambda0 (d x d, SPD; it is scaled by tau), ``a0``, ``b0``
    the shape and rate of the Gamma prior on the noise precision tau.
    """

    def __init__(self, design, targets, prior_mean, prior_precision, a0, b0):
        design = _array("design", design)
        if design.ndim != 2 or 0 in design.shape:
            raise ValueError(f"design must be a non-empty 2-D array (n, d), "
                             f"got shape {design.shape}")
        n, d = design.shape
        targets = _array("targets", targets)
        if targets.shape != (n,):
            raise ValueError(f"targets must have shape ({n},) to match design, "
                             f"got {targets.shape}")
        prior_mean = _array("prior_mean", prior_mean)
        if prior_mean.shape != (d,):
            raise ValueError(f"prior_mean must have shape ({d},), got {prior_mean.shape}")
        self._chol0 = spd_cholesky("prior_precision", prior_precision, d)
        self.design, self.targets, self.prior_mean = design, targets, prior_mean
        self.prior_precision = _array("prior_precision", prior_precision)
        self.a0, self.b0 = _positive_scalar("a0", a0), _positive_scalar("b0", b0)
        self.n, self.d = n, d
        # The exact posterior (eq-vb-posterior), computed once.
        self.gram = design.T @ design
        self.post_precision = self.prior_precision + self.gram
        self.shift = self.prior_precision @ prior_mean + design.T @ targets
        self._chol_n = cholesky(self.post_precision, lower=True, check_finite=False)
        self.post_mean = cho_solve((self._chol_n, True), self.shift, check_finite=False)
        resid, offset = targets - design @ self.post_mean, self.post_mean - prior_mean
        self.post_shape = self.a0 + n / 2
        # a sum of two non-negative terms: no cancellation (eq-vb-square at w = m_n)
        self.post_rate = self.b0 + 0.5 * (resid @ resid
                                          + offset @ self.prior_precision @ offset)

    def posterior(self) -> NormalGamma:
        """The exact posterior p(w, tau | y), a Normal-Gamma (eq-vb-posterior)."""
        return NormalGamma(self.post_mean.copy(), self.post_precision.copy(),
                           self.post_shape, self.post_rate)

    def log_evidence(self) -> float:
        """log p(y) in closed form (eq-vb-evidence)."""
        return float(-0.5 * self.n * _LOG_2PI
                     + 0.5 * (_logdet(self._chol0) - _logdet(self._chol_n))
                     + self.a0 * np.log(self.b0) - self.post_shape * np.log(self.post_rate)
                     + gammaln(self.post_shape) - gammaln(self.a0))

    def _w_tau(self, w, tau):
        w, tau = _array("w", w), _array("tau", tau)
        if w.shape[-1:] != (self.d,):
            raise ValueError(f"w must have last axis of length {self.d}, got {w.shape}")
        if w.shape[:-1] != tau.shape:
            raise ValueError(f"tau must have shape {w.shape[:-1]} (w without its last "
                             f"axis), got {tau.shape}")
        if not np.all(tau > 0):
            raise ValueError("tau must be positive")
        return w, tau

    def log_joint(self, w, tau):
        """log p(y, w, tau) at each row of ``w`` (..., d) and entry of ``tau`` (...)."""
        w, tau = self._w_tau(w, tau)
        resid = self.targets - w @ self.design.T
        offset = w - self.prior_mean
        prior_quad = np.einsum("...i,ij,...j->...", offset, self.prior_precision, offset)
        log_tau = np.log(tau)
        return (0.5 * self.n * (log_tau - _LOG_2PI) - 0.5 * tau * np.sum(resid**2, -1)
                + 0.5 * (self.d * (log_tau - _LOG_2PI) + _logdet(self._chol0))
                - 0.5 * tau * prior_quad
                + log_gamma_pdf(tau, self.a0, self.b0))

    def log_posterior(self, w, tau):
        """log p(w, tau | y) from the Normal-Gamma formula (not from the joint)."""
        w, tau = self._w_tau(w, tau)
        offset = w - self.post_mean
        quad = np.einsum("...i,ij,...j->...", offset, self.post_precision, offset)
        return (0.5 * (self.d * (np.log(tau) - _LOG_2PI) + _logdet(self._chol_n))
                - 0.5 * tau * quad + log_gamma_pdf(tau, self.post_shape, self.post_rate))


# ---- the mean-field family -------------------------------------------------------

class MeanField(NamedTuple):
    """q(w, tau) = N(w; mean, cov) Gamma(tau; shape, rate)."""

    mean: np.ndarray
    cov: np.ndarray
    shape: float
    rate: float


class CaviResult(NamedTuple):
    """What :func:`cavi` returns.

    ``elbos[0]`` is the ELBO of the initial q; then one entry after every factor
    update, in the order of the updates (the blocks of w, then tau, per sweep).
    """

    q: MeanField
    elbos: np.ndarray
    sweeps: int
    converged: bool


def _check_model(model):
    if not isinstance(model, NormalGammaRegression):
        raise TypeError(f"model must be a NormalGammaRegression, got {type(model).__name__}")
    return model


def _mean_field(name, q):
    if not isinstance(q, MeanField):
        raise TypeError(f"{name} must be a MeanField, got {type(q).__name__}")
    return q


def _check_q(model, q, name="q"):
    _check_model(model)
    _mean_field(name, q)
    mean = _array("q.mean", q.mean)
    if mean.shape != (model.d,):
        raise ValueError(f"q.mean must have shape ({model.d},), got {mean.shape}")
    chol = spd_cholesky("q.cov", q.cov, model.d)
    return (mean, _array("q.cov", q.cov), chol, _positive_scalar("q.shape", q.shape),
            _positive_scalar("q.rate", q.rate))


def _blocks(blocks, d):
    """``blocks`` as a list of index arrays partitioning range(d)."""
    if isinstance(blocks, str):
        if blocks == "full":
            return [np.arange(d)]
        if blocks == "diagonal":
            return [np.array([j]) for j in range(d)]
        raise ValueError(f"blocks must be 'full', 'diagonal' or a partition of "
                         f"range({d}), got {blocks!r}")
    try:
        parts = [np.asarray(block) for block in blocks]
    except TypeError:
        raise ValueError(f"blocks must be 'full', 'diagonal' or a partition of "
                         f"range({d}), got {blocks!r}") from None
    if not parts or any(p.ndim != 1 or p.size == 0 or not np.issubdtype(p.dtype, np.integer)
                        for p in parts):
        raise ValueError("blocks must be non-empty sequences of integer indices")
    joined = np.concatenate(parts)
    if np.sort(joined).tolist() != list(range(d)):
        raise ValueError(f"blocks must partition range({d}): every index exactly once")
    return parts


def _outside(block, d):
    mask = np.ones(d, dtype=bool)
    mask[block] = False
    return mask


def _expected_quadratics(model, mean, cov, chol):
    """E_q|y - Phi w|^2 and E_q (w - m0)^T Lambda0 (w - m0) under q(w) = N(mean, cov)."""
    resid = model.targets - model.design @ mean
    offset = mean - model.prior_mean
    spread = model.design @ chol
    residual = resid @ resid + np.sum(spread**2)
    prior = offset @ model.prior_precision @ offset + np.sum(model.prior_precision * cov)
    return residual, prior


def elbo(model: NormalGammaRegression, q: MeanField) -> float:
    """ELBO(q) = E_q[log p(y, w, tau)] + H[q(w)] + H[q(tau)], from the model's terms.

    With E_q[tau] = a/b and E_q[log tau] = psi(a) - log b (eq-vb-elbo)::

        E_q log p(y | w, tau) = n/2 (E log tau - log 2 pi) - E[tau]/2 E||y - Phi w||^2
        E_q log p(w | tau)    = d/2 (E log tau - log 2 pi) + 1/2 log det Lambda0
                                - E[tau]/2 E (w - m0)^T Lambda0 (w - m0)
        E_q log p(tau)        = a0 log b0 - log Gamma(a0) + (a0 - 1) E log tau - b0 E[tau]
        H[q(w)]               = d/2 log(2 pi e) + 1/2 log det cov
        H[q(tau)]             = a - log b + log Gamma(a) + (1 - a) psi(a)

    It does not use m_n or b_n, so that ELBO + KL = log p(y) is a real check.
    """
    return _elbo(model, *_check_q(model, q))


def _elbo(model, mean, cov, chol, a, b):
    """:func:`elbo` for a validated q (``chol`` is the Cholesky factor of ``cov``)."""
    n, d = model.n, model.d
    e_tau, e_log_tau = a / b, digamma(a) - np.log(b)
    residual, prior = _expected_quadratics(model, mean, cov, chol)
    expected_log_joint = (
        0.5 * n * (e_log_tau - _LOG_2PI) - 0.5 * e_tau * residual
        + 0.5 * (d * (e_log_tau - _LOG_2PI) + _logdet(model._chol0)) - 0.5 * e_tau * prior
        + model.a0 * np.log(model.b0) - gammaln(model.a0)
        + (model.a0 - 1.0) * e_log_tau - model.b0 * e_tau)
    entropy_w = 0.5 * d * (1.0 + _LOG_2PI) + 0.5 * _logdet(chol)
    entropy_tau = a - np.log(b) + gammaln(a) + (1.0 - a) * digamma(a)
    return float(expected_log_joint + entropy_w + entropy_tau)


def kl_to_posterior(model: NormalGammaRegression, q: MeanField) -> float:
    """KL(q(w) q(tau) || p(w, tau | y)), from the posterior's parameters (eq-vb-gap).

    A Gamma divergence plus an averaged Gaussian one::

        KL = KL(q(tau) || Gamma(a_n, b_n)) + E_q(tau) KL(q(w) || N(m_n, (tau Lambda_n)^-1))
           = KL_Gamma + 1/2 [ (a/b) (tr(Lambda_n cov) + (mean - m_n)^T Lambda_n (mean - m_n))
                              - d - d (psi(a) - log b) - log det Lambda_n - log det cov ]
    """
    mean, cov, chol, a, b = _check_q(model, q)
    d, offset = model.d, mean - model.post_mean
    spread = np.sum(model.post_precision * cov) + offset @ model.post_precision @ offset
    kl_w = 0.5 * (a / b * spread - d - d * (digamma(a) - np.log(b))
                  - _logdet(model._chol_n) - _logdet(chol))
    return kl_gamma(a, b, model.post_shape, model.post_rate) + float(kl_w)


def log_q(q: MeanField, w, tau):
    """log q(w) + log q(tau) at each row of ``w`` (..., d) and entry of ``tau`` (...)."""
    _mean_field("q", q)
    mean, cov = _array("q.mean", q.mean), _array("q.cov", q.cov)
    chol = spd_cholesky("q.cov", cov, mean.size)
    w, tau = _array("w", w), _array("tau", tau)
    if w.shape[-1:] != mean.shape or w.shape[:-1] != tau.shape:
        raise ValueError(f"w must have shape (..., {mean.size}) and tau the shape of "
                         f"w without its last axis; got {w.shape} and {tau.shape}")
    z = solve_triangular(chol, (w - mean).reshape(-1, mean.size).T, lower=True)
    log_w = -0.5 * (np.sum(z**2, 0) + mean.size * _LOG_2PI + _logdet(chol))
    return log_w.reshape(tau.shape) + log_gamma_pdf(tau, q.shape, q.rate)


def sample_q(q: MeanField, rng: np.random.Generator, size: int):
    """``size`` independent draws (w, tau) from q: arrays of shape (size, d) and (size,)."""
    _mean_field("q", q)
    generator("rng", rng)
    size = count("size", size)
    mean = _array("q.mean", q.mean)
    chol = spd_cholesky("q.cov", q.cov, mean.size)
    shape, rate = _positive_scalar("q.shape", q.shape), _positive_scalar("q.rate", q.rate)
    w = mean + rng.standard_normal((size, mean.size)) @ chol.T
    tau = rng.gamma(shape, 1.0 / rate, size)
    return w, tau


# ---- CAVI ---------------------------------------------------------------------------

def update_w(model: NormalGammaRegression, q: MeanField, block) -> MeanField:
    """The optimal q(w_B) for the coordinates ``block`` given the other factors.

    The log of the optimal factor is E over q(tau) and the other blocks of
    log p(y, w, tau), plus a constant: a quadratic in w_B, so (eq-vb-update-w)::

        q*(w_B) = N(mu_B, (E[tau] Lambda_n[B, B])^-1),
        Lambda_n[B, B] mu_B = (Lambda0 m0 + Phi^T y)_B - Lambda_n[B, rest] mean_rest

    With one block, mu = m_n.  The covariance between the block and the other
    coordinates is set to zero: they are independent under q.
    """
    mean, cov, _, a, b = _check_q(model, q)
    block = np.atleast_1d(np.asarray(block))
    if block.ndim != 1 or block.size == 0 or not np.issubdtype(block.dtype, np.integer) \
            or np.unique(block).size != block.size or block.min() < 0 \
            or block.max() >= model.d:
        raise ValueError(f"block must be distinct indices in 0..{model.d - 1}, "
                         f"got {block!r}")
    mean, cov = _update_w(model, mean, cov, a, b, _BlockSolver(model, block))
    return MeanField(mean, cov, a, b)


class _BlockSolver:
    """What the update of one block needs and never changes: indices and factors."""

    def __init__(self, model, block):
        self.block, self.rest = block, _outside(block, model.d)
        self.cross = model.post_precision[np.ix_(block, self.rest)]
        chol_bb = cholesky(model.post_precision[np.ix_(block, block)], lower=True,
                           check_finite=False)
        self.factor = (chol_bb, True)
        self.inverse = cho_solve(self.factor, np.eye(block.size), check_finite=False)
        self.square = np.ix_(block, block)


def _update_w(model, mean, cov, a, b, solver):
    """New (mean, cov) after the update of one block (copies, inputs unchanged)."""
    rhs = model.shift[solver.block] - solver.cross @ mean[solver.rest]
    mean, cov = mean.copy(), cov.copy()
    mean[solver.block] = cho_solve(solver.factor, rhs, check_finite=False)
    cov[solver.block, :] = 0.0
    cov[:, solver.block] = 0.0
    cov[solver.square] = (b / a) * solver.inverse
    return mean, cov


def update_tau(model: NormalGammaRegression, q: MeanField) -> MeanField:
    """The optimal q(tau) given q(w) (eq-vb-update-tau), a Gamma distribution.

    Its log density, up to a constant, is linear in log tau and in tau::

        log q*(tau) = (a0 + (n + d)/2 - 1) log tau
                      - tau (b0 + E||y - Phi w||^2 / 2 + E (w - m0)^T Lambda0 (w - m0) / 2)
                      + const
    """
    mean, cov, chol, _, _ = _check_q(model, q)
    return MeanField(mean, cov, *_update_tau(model, mean, cov, chol))


def _update_tau(model, mean, cov, chol):
    """Shape and rate of the optimal q(tau), for a validated q(w)."""
    residual, prior = _expected_quadratics(model, mean, cov, chol)
    shape = model.a0 + 0.5 * (model.n + model.d)
    rate = model.b0 + 0.5 * (residual + prior)
    return float(shape), float(rate)


def initial_q(model: NormalGammaRegression, blocks="full") -> MeanField:
    """A starting point in the family: the prior's w-blocks at tau = E[tau] = a0/b0.

    That is, q(w_B) = N(m0_B, (a0/b0 Lambda0[B, B])^-1) and q(tau) = Gamma(a0, b0).
    """
    parts = _blocks(blocks, _check_model(model).d)
    cov = np.zeros((model.d, model.d))
    for block in parts:
        idx = np.ix_(block, block)
        cov[idx] = model.b0 / model.a0 * np.linalg.inv(model.prior_precision[idx])
    return MeanField(model.prior_mean.copy(), cov, model.a0, model.b0)


def cavi(model: NormalGammaRegression, blocks="full", q0: MeanField | None = None,
         max_sweeps: int = 10_000, tol: float = 1e-12) -> CaviResult:
    """Coordinate-ascent variational inference (eq-vb-update-w, eq-vb-update-tau).

    One sweep updates each block of w in turn (:func:`update_w`), then q(tau)
    (:func:`update_tau`); the ELBO is recorded after every update.  Stops when a
    sweep raises the ELBO by less than ``tol`` nats, or after ``max_sweeps``.
    ``q0`` must belong to the family: zero covariance between different blocks
    (default :func:`initial_q`).
    """
    parts = _blocks(blocks, _check_model(model).d)
    count("max_sweeps", max_sweeps)
    tol = float(_array("tol", tol))
    if tol < 0:
        raise ValueError(f"tol must be non-negative, got {tol}")
    q = initial_q(model, blocks) if q0 is None else q0
    mean, cov, chol, a, b = _check_q(model, q, "q" if q0 is None else "q0")
    same_block = np.zeros((model.d, model.d), dtype=bool)
    for block in parts:
        same_block[np.ix_(block, block)] = True
    if np.any(cov[~same_block] != 0):
        raise ValueError("q0.cov must be zero between different blocks: q0 must "
                         "belong to the mean-field family")
    solvers = [_BlockSolver(model, block) for block in parts]
    factor = lambda cov: cholesky(cov, lower=True, check_finite=False)
    elbos = [_elbo(model, mean, cov, chol, a, b)]
    converged, sweep = False, 0
    for sweep in range(1, max_sweeps + 1):
        for solver in solvers:
            mean, cov = _update_w(model, mean, cov, a, b, solver)
            chol = factor(cov)
            elbos.append(_elbo(model, mean, cov, chol, a, b))
        a, b = _update_tau(model, mean, cov, chol)
        elbos.append(_elbo(model, mean, cov, chol, a, b))
        if elbos[-1] - elbos[-2 - len(parts)] < tol:
            converged = True
            break
    return CaviResult(MeanField(mean, cov, a, b), np.array(elbos), sweep, converged)


# ---- the fixed point in closed form ---------------------------------------------

def fixed_point(model: NormalGammaRegression, blocks="full") -> MeanField:
    """The fixed point of CAVI in closed form (eq-vb-fixed-point).

    The mean is m_n; E_q[tau] = a/b = a_n/b_n with shape a = a_n + d/2 and rate
    b = b_n a / a_n; the covariance is block-diagonal with blocks
    (E_q[tau] Lambda_n[B, B])^-1.
    """
    parts = _blocks(blocks, _check_model(model).d)
    a_n, b_n, d = model.post_shape, model.post_rate, model.d
    e_tau = a_n / b_n
    cov = np.zeros((d, d))
    for block in parts:
        idx = np.ix_(block, block)
        cov[idx] = np.linalg.inv(e_tau * model.post_precision[idx])
    shape = a_n + d / 2
    return MeanField(model.post_mean.copy(), cov, shape, shape / e_tau)


def fixed_point_gap(model: NormalGammaRegression, blocks="full") -> float:
    """log p(y) - ELBO at the CAVI fixed point, in closed form.

    One block (eq-vb-gap-fixed), with a_n = a0 + n/2 and s = d/2::

        log Gamma(a_n) - log Gamma(a_n + s) + (a_n + s) log(a_n + s) - a_n log a_n - s

    depends on n, d and a0 only, not on the data.  Several blocks add
    (eq-vb-gap-blocks) the term 1/2 (sum_B log det Lambda_n[B, B] - log det Lambda_n),
    never negative; for the diagonal family it is -1/2 log det R, with R the
    correlation matrix of Lambda_n.
    """
    parts = _blocks(blocks, _check_model(model).d)
    a_n, s = model.post_shape, model.d / 2
    gap = (gammaln(a_n) - gammaln(a_n + s) + (a_n + s) * np.log(a_n + s)
           - a_n * np.log(a_n) - s)
    blocks_logdet = sum(np.linalg.slogdet(model.post_precision[np.ix_(b, b)])[1]
                        for b in parts)
    return float(gap + 0.5 * (blocks_logdet - _logdet(model._chol_n)))
