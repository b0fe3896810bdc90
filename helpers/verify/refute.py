"""Showing that a wrong statement is caught: :func:`~helpers.verify.assert_fails`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from helpers.verify import registry
from helpers.verify.registry import CheckFailed


@dataclass(frozen=True)
class Refutation:
    """A check that failed on purpose, as :func:`~helpers.verify.assert_fails` returns it."""

    claim: str
    message: str

    def _repr_markdown_(self) -> str:
        message = self.message.replace("`", "'")
        return f"✘ refuted, as it must be: {self.claim}. The check says: `{message}`"

    def __repr__(self) -> str:
        return f"refuted: {self.claim} ({self.message})"


def assert_fails(claim: str, check: Callable, *args, **kwargs) -> Refutation:
    """Run ``check(*args, **kwargs)`` and require it to *refute* the claim.

    This is how the book shows that a wrong statement (a source's erratum, a
    wrong step) is caught.  Only a refutation counts: a point where the two
    sides of an identity differ, an instance violating an inequality, a number
    outside its tolerance.  A check that fails only because SymPy could not
    prove something is not evidence that it is false, and is refused.  A
    refuted check never counts for any equation label.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError(f"claim must say in words what is refuted, got {claim!r}")
    if not callable(check):
        raise TypeError(f"check must be a check function, got {check!r}")
    saved = registry.snapshot()
    try:
        check(*args, **kwargs)
    except CheckFailed as failure:
        registry.restore(saved)
        if not failure.refuted:
            raise CheckFailed(f"not refuted: {claim}. The check failed without a "
                              f"counterexample, so the claim may be true: {failure}") from None
        registry.restore(saved, extra_passed=1)      # the refutation is the check that passed
        return Refutation(claim, str(failure))
    registry.restore(saved)
    raise CheckFailed(f"expected this check to refute the claim, but it passed: {claim}")
