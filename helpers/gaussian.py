"""Gaussian log-densities and KL divergences, in float64 and in nats.

Conventions used throughout:

- ``N(mean, var)`` is parameterised by its *variance*, not its standard deviation.
- ``KL(q || p) = E_q[log q - log p]``: the first pair of arguments is q (the
  distribution the expectation is taken under, e.g. the variational posterior),
  the second pair is p (e.g. the prior). Natural logarithms, so results are in nats.
- Elementwise functions follow NumPy broadcasting and return ``np.float64`` for
  scalar inputs and ``np.ndarray`` otherwise.
- Invalid input raises ``ValueError`` naming the argument; no silent ``nan``.

The book uses them in the Gaussian cases of its bounds: (eq-vae-recon-gaussian),
(eq-vae-kl) and (eq-kl-same-variance) are special cases of these formulas.
"""

import numpy as np
import sympy as sp
from scipy.linalg import solve_triangular

from helpers.validation import count, spd_cholesky

__all__ = ["log_normal", "log_normal_expr", "kl_normal", "kl_mvn", "standard_normal_rule",
           "standard_normal_rule_2d"]

_SERIES_CUTOFF = 1e-2  # |d| below this: Taylor series for d - log(1 + d)


def _as_float(name, value):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be real numbers, got {value!r}") from err


def _finite(name, value):
    """``value`` as a float64 array, or ValueError if it is not finite."""
    arr = _as_float(name, value)
    bad = arr[~np.isfinite(arr)]
    if bad.size:
        raise ValueError(f"{name} must be finite, got {float(bad.flat[0])}")
    return arr


def _positive(name, value):
    """``value`` as a float64 array, or ValueError unless finite and > 0."""
    arr = _as_float(name, value)
    bad = arr[~(np.isfinite(arr) & (arr > 0))]
    if bad.size:
        got = f"min {np.min(arr)}" if np.all(np.isfinite(arr)) else float(bad.flat[0])
        raise ValueError(f"{name} must be positive and finite, got {got}")
    return arr


def _broadcast(**arrays):
    """Broadcast the named arrays together, or ValueError naming them."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError as err:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"shapes do not broadcast together: {shapes}") from err


def _d_minus_log1p(d, var_q, var_p):
    """``d - log(1 + d)`` with ``1 + d = var_q / var_p``, accurate for all d.

    Near d = 0 the direct formula cancels catastrophically (both terms are ~d,
    the difference ~d**2/2), so a Taylor series is used there; it gives exactly
    0 at d = 0. Elsewhere log(1 + d) is log1p(d), or log(var_q) - log(var_p)
    when d <= -0.5 or d overflows (so extreme ratios stay finite and correct).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        series = np.zeros_like(d)  # d**2 * sum_{k>=2} (-d)**(k-2) / k, Horner form
        for k in range(12, 1, -1):  # truncation < 1e-18 relative
            series = series * -d + 1.0 / k
        series = series * d * d
        usable = np.isfinite(d) & (d > -0.5)
        log_r = np.where(usable, np.log1p(np.where(usable, d, 0.0)),
                         np.log(var_q) - np.log(var_p))
        direct = d - log_r
    return np.where(np.abs(d) < _SERIES_CUTOFF, series, direct)


def log_normal(x, mean, var):
    """Log density of N(mean, var) at x, in nats, elementwise with broadcasting.

    log N(x; mean, var) = -1/2 log(2 pi var) - (x - mean)**2 / (2 var).

    Per coordinate, the log-density of (eq-vae-recon-gaussian).
    """
    x, mean, var = _broadcast(x=_finite("x", x), mean=_finite("mean", mean),
                              var=_positive("var", var))
    out = -0.5 * np.log(2.0 * np.pi * var) - 0.5 * (x - mean) ** 2 / var
    return out[()]


def log_normal_expr(x, mean, var) -> sp.Expr:
    """log N(x; mean, var) as a SymPy expression, for symbolic derivations.

    Same formula as :func:`log_normal`; declare ``var`` positive so that SymPy
    can split the logarithm.
    """
    for name, value in (("x", x), ("mean", mean), ("var", var)):
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"{name} must be a number or a SymPy expression, got {value!r}")
        number = sp.sympify(value)
        if number.is_number and not number.is_finite:
            raise ValueError(f"{name} must be finite, got {value!r}")
        if name == "var" and number.is_number and not number.is_positive:
            raise ValueError(f"var must be a positive variance, got {value!r}")
    return -sp.log(2 * sp.pi * var) / 2 - (x - mean) ** 2 / (2 * var)


def kl_normal(mean_q, var_q, mean_p, var_p):
    """KL(q || p) for q = N(mean_q, var_q), p = N(mean_p, var_p), in nats.

    KL = 1/2 [ log(var_p / var_q) + (var_q + (mean_q - mean_p)**2) / var_p - 1 ]
       = 1/2 [ (r - 1 - log r) + (mean_q - mean_p)**2 / var_p ],  r = var_q / var_p.

    Both bracketed terms are >= 0 and are computed without cancellation
    (d = r - 1 is formed as (var_q - var_p) / var_p, and d - log(1 + d) uses a
    series near 0), so the result is >= 0, exactly 0 for identical inputs, and
    accurate to relative ~1e-14 even for nearly equal Gaussians. Elementwise with
    broadcasting. (eq-vae-kl) is its sum over coordinates with ``mean_p = 0``,
    ``var_p = 1``; (eq-kl-same-variance) its sum over coordinates that share one
    pair of variances.
    """
    mean_q, var_q, mean_p, var_p = _broadcast(
        mean_q=_finite("mean_q", mean_q), var_q=_positive("var_q", var_q),
        mean_p=_finite("mean_p", mean_p), var_p=_positive("var_p", var_p))
    with np.errstate(over="ignore"):  # an overflow here is +inf, the right value
        d = (var_q - var_p) / var_p
        mean_term = (mean_q - mean_p) ** 2 / var_p
    out = 0.5 * (_d_minus_log1p(d, var_q, var_p) + mean_term)
    return out[()]


def kl_mvn(mean_q, cov_q, mean_p, cov_p):
    """KL(q || p) for q = N(mean_q, cov_q), p = N(mean_p, cov_p) in d dimensions.

    KL = 1/2 [ tr(S_p^-1 S_q) + (m_p - m_q)^T S_p^-1 (m_p - m_q) - d
               + log det S_p - log det S_q ],  in nats.

    Means are 1-D of length d, covariances d x d symmetric positive definite (no
    batching). Computed from Cholesky factors S = L L^T with no explicit inverse:
    tr(S_p^-1 S_q) = ||L_p^-1 L_q||_F^2, the quadratic form is ||L_p^-1 (m_p - m_q)||^2
    and log det S = 2 sum log diag L. Rounding can leave a result of order -1e-16
    for (nearly) equal inputs; it is clipped at 0.  Means so far apart that their
    difference overflows give +inf (the quadratic form does).  The book checks (eq-kl-same-variance)
    against it.
    """
    mean_q, mean_p = _finite("mean_q", mean_q), _finite("mean_p", mean_p)
    if mean_q.ndim != 1 or mean_q.size == 0:
        raise ValueError(f"mean_q must be a non-empty 1-D vector, got shape {mean_q.shape}")
    d = mean_q.size
    if mean_p.shape != (d,):
        raise ValueError(f"mean_p must have shape ({d},) like mean_q, got {mean_p.shape}")
    l_q, l_p = spd_cholesky("cov_q", cov_q, d), spd_cholesky("cov_p", cov_p, d)
    with np.errstate(over="ignore"):
        diff = mean_p - mean_q
    if not np.all(np.isfinite(diff)):  # the quadratic form, and so the KL, overflows
        return np.float64(np.inf)
    m = solve_triangular(l_p, l_q, lower=True, check_finite=False)
    z = solve_triangular(l_p, diff, lower=True, check_finite=False)
    logdet_ratio = 2.0 * np.sum(np.log(np.diag(l_p)) - np.log(np.diag(l_q)))
    kl = 0.5 * (np.sum(m * m) + z @ z - d + logdet_ratio)
    return np.float64(max(kl, 0.0))


def standard_normal_rule(nodes: int, d: int):
    """Gauss-Hermite points (shape (nodes^d, d)) and weights for expectations under N(0, I_d).

    ``E[f(e)] ~ sum_i weights[i] f(points[i])``, exact for polynomials of degree
    < 2 ``nodes`` in each coordinate; ``points = sqrt(2) t`` on the tensor grid of
    the ``nodes`` Hermite nodes ``t``, ``weights`` the products of theirs over
    pi^(d/2).  For ``q = N(m, L L^T)``, use ``z = m + points @ L.T``.
    """
    nodes, d = count("nodes", nodes), count("d", d)
    t, w = np.polynomial.hermite.hermgauss(int(nodes))
    points = np.sqrt(2.0) * np.stack(np.meshgrid(*([t] * d)), axis=-1).reshape(-1, d)
    weights = np.prod(np.stack(np.meshgrid(*([w] * d)), axis=-1).reshape(-1, d), axis=-1)
    return points, weights / np.pi ** (d / 2)


def standard_normal_rule_2d(nodes: int):
    """:func:`standard_normal_rule` in two dimensions."""
    return standard_normal_rule(nodes, 2)

