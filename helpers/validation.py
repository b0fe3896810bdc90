"""Validation at the helpers' boundary: a clear ValueError naming the argument.

Shared by the modules that take real arrays and numbers (diffusion, ising,
counts), so each states its own rules (positive, a probability, counts) on top
of these two.
"""

import numpy as np


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
