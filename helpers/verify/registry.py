"""The record of every passed check, and of the equation labels they verify.

Checks register themselves as they pass; :func:`~helpers.verify.checked_labels` gives, for each
label, the :class:`~helpers.verify.strength.Check` records that verified it,
and :func:`helpers.verify.report` compares them with the labels a chapter's
text defines.
"""

from __future__ import annotations

from helpers.verify.strength import Check

_CHECKS: list[Check] = []
_PASSED = [0]          # checks passed in this process, labelled or not


class CheckFailed(AssertionError):
    """A step, identity or number that the machine could not confirm.

    ``refuted`` is true only when the failure is evidence that the claim is
    false (a point where the two sides differ, a number outside its tolerance),
    not merely that SymPy could not prove it; :func:`helpers.verify.assert_fails`
    accepts only such failures as refutations.
    """

    def __init__(self, message: str, *, refuted: bool = False):
        super().__init__(message)
        self.refuted = refuted


def validate_label(label) -> str | None:
    if label is None:
        return None
    if not isinstance(label, str) or not label.startswith("eq-") or len(label) < 4:
        raise ValueError(f"label must be a string starting with 'eq-', got {label!r}")
    return label


def record(check: Check, count: bool = True) -> Check:
    """Record one passed check (and the label it verifies, if any).

    ``count=False`` records a result whose parts were already counted as they
    passed (a derivation's steps).
    """
    validate_label(check.label)
    _PASSED[0] += int(count)
    _CHECKS.append(check)
    return check


def passed_count() -> int:
    """How many checks passed in this process, labelled or not."""
    return _PASSED[0]


def checked_labels() -> dict[str, list[Check]]:
    """Each label verified so far, with the checks that verified it (each has ``.strength``)."""
    labels: dict[str, list[Check]] = {}
    for check in _CHECKS:
        if check.label is not None:
            labels.setdefault(check.label, []).append(check)
    return labels


def clear_registry() -> None:
    """Forget every recorded check (for tests; a notebook never needs it)."""
    _CHECKS.clear()
    _PASSED[0] = 0


def snapshot():
    return list(_CHECKS), _PASSED[0]


def restore(state, extra_passed: int = 0) -> None:
    checks, passed = state
    _CHECKS[:] = checks
    _PASSED[0] = passed + extra_passed
