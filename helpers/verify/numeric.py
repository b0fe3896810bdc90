"""Checks on numbers: a Monte Carlo mean, deterministic values, an ordering.

Each raises :class:`~helpers.verify.CheckFailed` (with ``refuted=True``: the numbers disagree)
when the claim fails and ``ValueError`` for a bad argument.  Tolerances are
bounded so that a check cannot be made vacuous by accident: ``z`` at most
:data:`~helpers.verify.numeric.MAX_Z` standard errors, ``rtol`` and ``atol`` at most
:data:`~helpers.verify.numeric.MAX_TOLERANCE` unless a ``reason=`` says in words why a looser one is
right (it is shown beside the check).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from helpers.verify import display
from helpers.verify.registry import CheckFailed, record, validate_label
from helpers.verify.strength import Check
from helpers.validation import real_array

#: The most standard errors a Monte Carlo check may allow.
MAX_Z = 6.0
#: The loosest rtol or atol allowed without a ``reason=``.
MAX_TOLERANCE = 1e-3
#: The fewest draws a Monte Carlo check accepts.
MIN_DRAWS = 30


@dataclass(frozen=True)
class NumericCheck:
    """A passed numeric check, as the ``assert_*`` functions below return it."""

    claim: str
    detail: str
    label: str | None = None
    strength: str = "numeric"

    def _repr_markdown_(self) -> str:
        return display.footer(self.strength, self.label, [f"{self.claim} ({self.detail})"])

    def __repr__(self) -> str:
        return f"checked ({self.strength}): {self.claim} ({self.detail})"


def _finite_array(name: str, value) -> np.ndarray:
    """The book's shared check (finite reals), and not empty: nothing to compare checks nothing."""
    array = real_array(name, value)
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    return array


def _reason(reason) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"reason must say in words why the tolerance is right, got {reason!r}")
    return reason


def _tolerance(name: str, value, reason: str | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    if value > MAX_TOLERANCE and reason is None:
        raise ValueError(f"{name}={value:g} is looser than {MAX_TOLERANCE:g}: pass reason= "
                         "to say why such a tolerance is right")
    if value >= 1:
        raise ValueError(f"{name} must be below 1 (a tolerance of 100 % checks nothing), got {value}")
    return value


def _detail(text: str, reason: str | None) -> str:
    return f"{text}; {reason}" if reason else text


def assert_mc_close(samples, exact, *, z: float = 4.0, label: str | None = None,
                    what: str | None = None) -> NumericCheck:
    """Assert that the mean of iid ``samples`` is within ``z`` standard errors of ``exact``.

    The standard error is ``std(samples, ddof=1) / sqrt(n)``.  With a fixed
    seed the check is deterministic; ``z = 4`` means a correct estimator fails
    with probability about 6e-5 over the choice of seed.  ``0 < z <= 6`` and at
    least 30 draws (below that the standard error itself is unreliable).
    """
    validate_label(label)
    samples = _finite_array("samples", samples).ravel()
    exact_array = _finite_array("exact", exact)
    if exact_array.size != 1:
        raise ValueError(f"exact must be one number, got shape {exact_array.shape}")
    exact = float(exact_array.ravel()[0])
    if samples.size < MIN_DRAWS:
        raise ValueError(f"samples must hold at least {MIN_DRAWS} draws, got {samples.size}")
    if isinstance(z, bool) or not isinstance(z, (int, float, np.floating, np.integer)):
        raise TypeError(f"z must be a number of standard errors, got {z!r}")
    if not (0 < z <= MAX_Z):
        raise ValueError(f"z must be in (0, {MAX_Z:g}] standard errors, got {z}")
    mean = samples.mean()
    se = samples.std(ddof=1) / np.sqrt(samples.size)
    if se == 0:
        ok, distance = bool(np.isclose(mean, exact, rtol=1e-12, atol=0)), 0.0
    else:
        distance = abs(mean - exact) / se
        ok = distance <= z
    if not ok:
        raise CheckFailed(f"Monte Carlo mean {mean:.6g} is {distance:.2f} standard errors "
                          f"(SE {se:.3g}, n={samples.size}) from the exact value {exact:.6g}; "
                          f"allowed: {z}", refuted=True)
    claim = what or f"Monte Carlo mean {mean:.6g} against the exact {exact:.6g}"
    detail = f"{distance:.2f} SE away; SE {se:.2g}, n = {samples.size}, allowed {z:g} SE"
    record(Check("monte-carlo", "monte-carlo", claim, detail, label))
    return NumericCheck(claim, detail, label, "monte-carlo")


def assert_close(value, exact, *, rtol: float = 1e-12, atol: float = 0.0,
                 label: str | None = None, reason: str | None = None,
                 what: str | None = None) -> NumericCheck:
    """Assert ``|value - exact| <= atol + rtol * |exact|`` elementwise (deterministic values)."""
    validate_label(label)
    reason = _reason(reason)
    value, exact = _finite_array("value", value), _finite_array("exact", exact)
    rtol, atol = _tolerance("rtol", rtol, reason), _tolerance("atol", atol, reason)
    try:
        error = np.abs(value - exact)
        allowed = atol + rtol * np.abs(exact)
    except ValueError as err:
        raise ValueError(f"value and exact must broadcast together: {err}") from None
    if not np.all(error <= allowed):
        excess = error - allowed
        worst = np.unravel_index(np.argmax(excess), error.shape)     # () for a 0-d error
        shown = np.broadcast_to(value, error.shape)[worst]
        raise CheckFailed(f"value {shown} differs from exact "
                          f"{np.broadcast_to(exact, error.shape)[worst]} by {error[worst]:.3g} > "
                          f"allowed {np.broadcast_to(allowed, error.shape)[worst]:.3g}",
                          refuted=True)
    scale = np.maximum(np.abs(np.broadcast_to(exact, error.shape)), np.finfo(float).tiny)
    claim = what or f"{error.size} value(s) against the exact answer"
    detail = _detail(f"largest error {error.max():.2g}, relative {np.max(error / scale):.2g}; "
                     f"rtol {rtol:g}, atol {atol:g}", reason)
    record(Check("close", "numeric", claim, detail, label))
    return NumericCheck(claim, detail, label, "numeric")


def assert_inequality(larger, smaller, *, atol: float = 0.0, label: str | None = None,
                      reason: str | None = None, what: str | None = None,
                      sampled: bool = False) -> NumericCheck:
    """Assert ``larger >= smaller - atol`` elementwise; returns the smallest margin.

    ``sampled=True`` says the points are seeded random draws (strength
    ``sampled``); otherwise the check is ``numeric``.
    """
    validate_label(label)
    reason = _reason(reason)
    larger, smaller = _finite_array("larger", larger), _finite_array("smaller", smaller)
    atol = _tolerance("atol", atol, reason)
    if not isinstance(sampled, bool):
        raise TypeError(f"sampled must be True or False, got {sampled!r}")
    try:
        margin = larger - smaller
    except ValueError as err:
        raise ValueError(f"larger and smaller must broadcast together: {err}") from None
    if np.any(margin < -atol):
        raise CheckFailed(f"inequality fails at {int(np.sum(margin < -atol))} of {margin.size} "
                          f"points; worst margin {margin.min():.3g} (atol {atol:g})", refuted=True)
    strength = "sampled" if sampled else "numeric"
    where = "seeded random points" if sampled else "points"
    claim = what or f"larger >= smaller at all {margin.size} {where}"
    detail = _detail(f"smallest margin {margin.min():.3g}, atol {atol:g}", reason)
    record(Check("inequality", strength, claim, detail, label))
    return NumericCheck(claim, detail, label, strength)
