"""How strongly a result is checked: the book's six strengths, strongest first.

Every check the toolkit records carries exactly one of these words, and never a
stronger one than the check has earned:

- ``proof``: the displayed statement, proven symbolically in general;
- ``stand-in``: proven symbolically, but on a named special case (K = 2
  states, d = 2, the conjugate Gaussian, ...) or in a form other than the one
  displayed;
- ``exact-instances``: evaluated exactly (50 significant digits) at random
  points;
- ``sampled``: evaluated in float64 at random points;
- ``monte-carlo``: a Monte Carlo estimate within ``z`` standard errors of the
  exact value, ``n`` stated;
- ``numeric``: deterministic floats within a stated tolerance.

A chain of steps is as strong as its weakest step; a labelled result is as
strong as the strongest check that verified it.
"""

from __future__ import annotations

from dataclasses import dataclass

STRENGTHS = ("proof", "stand-in", "exact-instances", "sampled", "monte-carlo", "numeric")

MEANING = {
    "proof": "proven symbolically, in general, as displayed",
    "stand-in": "proven symbolically on a named special case (or in a form other than the display)",
    "exact-instances": "evaluated exactly, to 50 significant digits, at seeded random points",
    "sampled": "evaluated in float64 at seeded random points",
    "monte-carlo": "a seeded Monte Carlo estimate within z standard errors of the exact value",
    "numeric": "deterministic floating-point values within a stated tolerance",
}

#: How each strength is named on the page, beside its check mark.
SHOWN = {
    "proof": "proof",
    "stand-in": "stand-in",
    "exact-instances": "exact instances",
    "sampled": "sampled",
    "monte-carlo": "Monte Carlo",
    "numeric": "numeric",
}


def _require(strength: str) -> str:
    if strength not in STRENGTHS:
        raise ValueError(f"strength must be one of {', '.join(STRENGTHS)}; got {strength!r}")
    return strength


def weakest(strengths) -> str:
    """The weakest of ``strengths`` (a chain is as strong as its weakest step)."""
    strengths = [_require(s) for s in strengths]
    if not strengths:
        raise ValueError("strengths must not be empty")
    return max(strengths, key=STRENGTHS.index)


def strongest(strengths) -> str:
    """The strongest of ``strengths`` (a result is as strong as its best check)."""
    strengths = [_require(s) for s in strengths]
    if not strengths:
        raise ValueError("strengths must not be empty")
    return min(strengths, key=STRENGTHS.index)


def cap(strength: str, at_most: str) -> str:
    """``strength``, lowered to ``at_most`` if it is stronger."""
    return weakest([strength, at_most])


@dataclass(frozen=True)
class Check:
    """One passed check, as the registry records it.

    ``kind`` names the check (``derivation``, ``identity``, ``monte-carlo``,
    ``close``, ``inequality``); ``what`` says what exactly was checked, in
    Markdown with ``$...$`` math (the proven statement, or the stand-in it was
    proven on, or the numbers compared); ``detail`` says how.
    """

    kind: str
    strength: str
    what: str
    detail: str
    label: str | None = None

    def __post_init__(self):
        _require(self.strength)
