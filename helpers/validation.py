"""Validation at the helpers' boundary: a clear ValueError naming the argument.

Shared by the modules that take real arrays and numbers (diffusion, vdm,
gaussian, ising, counts), so each states only its own rules on top of these:
finite reals (:func:`real_array`, :func:`real_scalar`), positive reals
(:func:`positive`), probability vectors (:func:`probabilities`), counts
(:func:`count`), a random generator (:func:`generator`), a function
(:func:`function`), a covariance (:func:`spd_cholesky`).
"""

import numpy as np
from scipy.linalg import LinAlgError, cholesky


def real_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; ValueError unless every entry is a finite real."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be real numbers, got {value!r}") from err
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got a non-finite entry")
    return array


def real_scalar(name: str, value) -> float:
    """``value`` as a float; ValueError unless it is one finite real number."""
    array = real_array(name, value)
    if array.ndim:
        raise ValueError(f"{name} must be a single number, got shape {array.shape}")
    return float(array)


def positive(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; ValueError unless every entry is finite and > 0."""
    array = real_array(name, value)
    if not np.all(array > 0):
        raise ValueError(f"{name} must be positive, got min {np.min(array)}")
    return array


def probabilities(name: str, value, atol: float = 1e-12) -> np.ndarray:
    """``value`` as a 1-D float64 array of non-negative entries summing to 1 (to ``atol``)."""
    array = real_array(name, value)
    if array.ndim != 1 or array.size < 1:
        raise ValueError(f"{name} must be a 1-D probability vector, got shape {array.shape}")
    if not np.all(array >= 0):
        raise ValueError(f"{name} must have non-negative entries, got min {array.min()}")
    if not abs(array.sum() - 1.0) <= atol:
        raise ValueError(f"{name} must sum to 1, got sum {array.sum()!r}")
    return array


def count(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int; ValueError unless it is an integer >= ``minimum`` (not a bool)."""
    rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return int(value)


def generator(name: str, value) -> np.random.Generator:
    """``value`` itself; TypeError unless it is a ``numpy.random.Generator``."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(value).__name__}")
    return value


def function(name: str, value):
    """``value`` itself; TypeError unless it can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {type(value).__name__}")
    return value


#: Relative tolerance of the symmetry check in :func:`spd_cholesky`.
SYMMETRY_RTOL = 1e-10


def spd_cholesky(name: str, matrix, d: int) -> np.ndarray:
    """Lower Cholesky factor of a symmetric positive definite ``(d, d)`` matrix.

    ValueError naming ``name`` if the matrix is not finite, not ``(d, d)``, not
    symmetric (to a relative ``SYMMETRY_RTOL``) or not positive definite.
    """
    matrix = real_array(name, matrix)
    if matrix.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}), got {matrix.shape}")
    scale = np.max(np.abs(matrix)) if matrix.size else 0.0
    if np.max(np.abs(matrix - matrix.T), initial=0.0) > SYMMETRY_RTOL * scale:
        raise ValueError(f"{name} must be symmetric (relative tolerance {SYMMETRY_RTOL:g})")
    try:
        return cholesky(matrix, lower=True, check_finite=False)
    except LinAlgError as err:
        raise ValueError(f"{name} must be symmetric positive definite") from err
