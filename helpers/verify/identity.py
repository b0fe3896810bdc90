"""One symbolic identity, ``lhs == rhs``, proven twice (SymPy, then exact points)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import sympy as sp

from helpers.verify import display
from helpers.verify.display import WHAT_LIMIT
from helpers.verify.chain import _expression
from helpers.verify.points import fixed_values, validate_where
from helpers.verify.registry import record, validate_label
from helpers.verify.strength import Check
from helpers.verify.symbolic import prove_equal, same_names_differ


def assert_identity(lhs, rhs, *, where: Mapping | None = None, label: str | None = None,
                    claim: str | None = None, checked_on: str | None = None) -> "Identity":
    """Prove ``lhs == rhs``; raise :class:`CheckFailed` if it cannot be proven.

    ``where`` maps symbols to expressions substituted on both sides (a
    constraint such as ``{q3: 1 - q1 - q2}``).  ``checked_on`` names the special
    case when the identity stands in for a more general displayed one (the
    strength is then ``stand-in``, not ``proof``).  Returns a displayable
    record, shown as the identity itself or, when that is too long to read, as
    ``claim`` (a sentence saying what was proven).
    """
    lhs, rhs = _expression(lhs, "lhs"), _expression(rhs, "rhs")
    where = validate_where(where)
    validate_label(label)
    if checked_on is not None and (not isinstance(checked_on, str) or not checked_on.strip()):
        raise ValueError(f"checked_on must name the special case in words, got {checked_on!r}")
    clash = same_names_differ(lhs, rhs, *where, *where.values())
    if clash:
        raise ValueError(f"two different symbols share the name(s) {clash}")
    method = prove_equal(lhs, rhs, where, what=f"the identity {sp.sstr(lhs)} = {sp.sstr(rhs)}")
    fixed = fixed_values(where)
    strength = "stand-in" if checked_on or fixed else "proof"
    statement = claim if claim else f"${sp.latex(lhs)} = {sp.latex(rhs)}$"
    if not claim and len(statement) > WHAT_LIMIT:
        statement = "the identity shown above"
    what = statement + (f", on {checked_on}" if checked_on else "")
    if where:
        what += ", where " + ", ".join(f"${sp.latex(k)} = {sp.latex(v)}$" for k, v in where.items())
    record(Check("identity", strength, what, method, label))
    return Identity(lhs, rhs, method, label, claim, checked_on, strength, tuple(where.items()))


@dataclass(frozen=True)
class Identity:
    """A proven identity, as :func:`assert_identity` returns it."""

    lhs: sp.Expr
    rhs: sp.Expr
    method: str
    label: str | None = None
    claim: str | None = None
    checked_on: str | None = None
    strength: str = "proof"
    where: tuple = ()

    def _repr_markdown_(self) -> str:
        proof = f"proven by {self.method}"
        notes = [f"checked on {self.checked_on}"] if self.checked_on else []
        if self.where:
            notes.append("where " + ", ".join(f"${sp.latex(k)} = {sp.latex(v)}$"
                                              for k, v in self.where))
        if self.claim:
            return display.footer(self.strength, self.label, notes + [f"{self.claim}, {proof}"])
        wide = 2 * display.LINE              # no reason column beside an identity
        left, right = display.lines(self.lhs, wide), display.lines(self.rhs, wide)
        if len(left) == 1 and len(right) == 1 and len(left[0] + right[0]) <= wide:
            body = f"{left[0]} = {right[0]}"
        else:
            body = display.stacked(left, right, relations=("=",))
        return display.math_block(body) + display.footer(self.strength, self.label,
                                                         notes + [proof])

    def __repr__(self) -> str:
        return f"Identity({sp.sstr(self.lhs)} = {sp.sstr(self.rhs)}, proven by {self.method})"
