"""A derivation: a chain ``a = b >= c = ...``, each step checked as it is added.

- ``=`` steps: :func:`helpers.verify.symbolic.prove_equal` (SymPy's rewrites,
  and exact agreement at random points).
- ``>=``, ``>``, ``<=``, ``<`` steps: a *certificate* (the gap equals an
  expression proven non-negative by sign rules, a proven lemma, or a finished
  derivation of ``c >= 0`` that is itself symbolic) or exact evaluation at
  random *instances*, which is evidence of strength ``exact-instances`` only
  and can never become a certificate or a lemma.

The chain renders as one aligned block with the reason beside each step, and a
mark under it giving its strength: the weakest of its steps, and at most
``stand-in`` when it is checked on a special case (``checked_on=``) or shows a
hand-written formula (``tex=``) that the machine could not read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import sympy as sp

from helpers.verify import display, points, proof_cache, tex as texcheck
from helpers.verify.display import WHAT_LIMIT
from helpers.verify.registry import CheckFailed, record, validate_label, _PASSED
from helpers.verify.strength import Check, cap, weakest
from helpers.verify.symbolic import (Lemma, is_nonnegative, prove_equal, same_names_differ,
                                     substitute)

RELATIONS = {"=": "=", ">=": r"\ge", "<=": r"\le", ">": ">", "<": "<"}
_DIRECTION = {">=": ">", ">": ">", "<=": "<", "<": "<"}
_MARGIN = sp.Float(10, 50) ** -40
MAX_INSTANCES = 100_000


@dataclass(frozen=True)
class Step:
    """One checked step of a chain (made only by :class:`Derivation`)."""

    relation: str          # "=", ">=", ">", "<=" or "<"
    expr: sp.Expr
    reason: str
    tex: str
    how: str               # how the machine checked it, in words
    strength: str          # "proof" for symbolic steps, "exact-instances" otherwise
    display_read: bool     # whether the displayed formula is known to be ``expr``


def _expression(value, name: str) -> sp.Expr:
    try:
        expr = sp.sympify(value)
    except (sp.SympifyError, TypeError):
        raise TypeError(f"{name} must be a SymPy expression or a number, got {value!r}") from None
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"{name} must be a SymPy expression, got {type(expr).__name__}")
    if expr.has(sp.nan, sp.zoo):
        raise ValueError(f"{name} is not a number: {sp.sstr(expr)}")
    return expr


@proof_cache.remembered("sign", keep=lambda negative: negative is None)
def _sign_at_points(value, where, strict: str):
    """A point where a certificate is negative (zero if ``strict``), or None: remembered when None."""
    return points.sign_at_points(value, where, strict=bool(strict))


class Derivation:
    """A chain of expressions, each step checked the moment it is added.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> d = (Derivation(sp.log(a * b))
    ...      .eq(sp.log(a) + sp.log(b), "log of a product"))

    ``start`` is the first expression.  ``where`` holds substitutions applied
    in every check, e.g. the constraint that probabilities sum to one; each
    value must keep its key's assumptions somewhere (else ``ValueError``).
    ``abbreviate`` maps a display symbol to the expression it stands for
    (``{xbar: w1*x1 + w2*x2}``): only the display uses it.  ``tex`` (here and
    on each step) is a hand-written display of the expression; it is read back
    and compared with what is checked, and when it cannot be read the checked
    SymPy form is shown under the chain and the chain counts as ``stand-in``.
    When the display shows a general form (a sum over ``k``) and the check runs
    on a special case (``K = 2`` symbolic states), say so in ``checked_on``.
    """

    def __init__(self, start, tex: str | None = None, where: Mapping | None = None,
                 abbreviate: Mapping | None = None, checked_on: str | None = None):
        self.start = _expression(start, "start")
        self.where = points.validate_where(where)
        self.abbreviate = dict(abbreviate or {})
        if checked_on is not None and (not isinstance(checked_on, str) or not checked_on.strip()):
            raise ValueError(f"checked_on must name the special case in words, got {checked_on!r}")
        self.checked_on = checked_on
        self._fixed = points.fixed_values(self.where)    # symbols set to a number
        self._steps: list[Step] = []
        self.label: str | None = None
        self._closed = False
        self.tex, self._start_read = self._display(tex, self.start, "the first expression")

    # ---- what the chain proves ---------------------------------------------

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(self._steps)

    @property
    def end(self) -> sp.Expr:
        return self._steps[-1].expr if self._steps else self.start

    @property
    def relation(self) -> str:
        """The relation the whole chain proves between ``start`` and ``end``.

        ``=`` if every step is ``=``; otherwise the direction of the
        inequalities, strict if any step is strict.
        """
        kinds = {s.relation for s in self._steps} - {"="}
        if not kinds:
            return "="
        direction = _DIRECTION[next(iter(kinds))]
        return direction if direction in kinds else direction + "="

    @property
    def symbolic(self) -> bool:
        """Every step proven symbolically (no step rests on random instances)."""
        return bool(self._steps) and all(s.strength != "exact-instances" for s in self._steps)

    @property
    def strength(self) -> str:
        """The weakest step's strength.

        At most ``stand-in`` on a special case (``checked_on``, or a ``where``
        that sets a symbol to a number) or with a display that was not read back.
        """
        if not self._steps:
            raise ValueError("a derivation with no steps has no strength")
        strength = weakest(s.strength for s in self._steps)
        special = self.checked_on or self._fixed
        if special or not self._start_read or not all(s.display_read for s in self._steps):
            strength = cap(strength, "stand-in")
        return strength

    # ---- the steps ---------------------------------------------------------

    def eq(self, expr, reason: str, *, tex: str | None = None) -> "Derivation":
        """Add ``= expr``; it must equal the previous expression (SymPy and exact points)."""
        expr = self._new(expr, reason)
        try:
            how = prove_equal(self.end, expr, self.where, what="the step")
        except CheckFailed as failure:
            self._fail("=", expr, reason, str(failure), failure.refuted)
        return self._add("=", expr, reason, tex, how, "proof")

    def ge(self, expr, reason: str, *, tex: str | None = None,
           certificate=None, instances: Callable | None = None,
           n: int = 200, seed: int = 0) -> "Derivation":
        """Add ``>= expr``, checked by ``certificate`` or by random ``instances``.

        certificate: a SymPy expression equal to (previous - expr) that SymPy
            knows is non-negative (``is_nonnegative``), or a finished symbolic
            :class:`Derivation` proving ``certificate.start >= 0`` under (a part
            of) this chain's ``where``.
        instances: a function ``rng -> {symbol: value}`` drawing one random
            instance; the step is evaluated at ``n`` instances with 50
            significant digits and must hold at each (strength
            ``exact-instances``).
        """
        return self._inequality(">=", expr, reason, tex, certificate, instances, n, seed)

    def le(self, expr, reason: str, *, tex: str | None = None,
           certificate=None, instances: Callable | None = None,
           n: int = 200, seed: int = 0) -> "Derivation":
        """Add ``<= expr``; as :meth:`ge` with the certificate equal to (expr - previous)."""
        return self._inequality("<=", expr, reason, tex, certificate, instances, n, seed)

    def gt(self, expr, reason: str, *, tex: str | None = None,
           certificate=None, instances: Callable | None = None,
           n: int = 200, seed: int = 0) -> "Derivation":
        """Add ``> expr``; as :meth:`ge`, with the certificate shown to be > 0."""
        return self._inequality(">", expr, reason, tex, certificate, instances, n, seed)

    def lt(self, expr, reason: str, *, tex: str | None = None,
           certificate=None, instances: Callable | None = None,
           n: int = 200, seed: int = 0) -> "Derivation":
        """Add ``< expr``; as :meth:`le`, with the certificate shown to be > 0."""
        return self._inequality("<", expr, reason, tex, certificate, instances, n, seed)

    def qed(self, label: str | None = None) -> "Derivation":
        """Close the chain; ``label`` names the book equation it proves."""
        if not self._steps:
            raise ValueError("a derivation needs at least one step before qed()")
        if self._closed:
            raise ValueError("qed() was already called on this derivation")
        self.label = validate_label(label)
        self._closed = True
        if label is not None:
            record(self.check(), count=False)     # its steps were counted as they passed
        return self

    def check(self) -> Check:
        """This chain as a ledger record."""
        statement = (f"${display.latex(self.start)} {RELATIONS[self.relation]} "
                     f"{display.latex(self.end)}$")
        if len(statement) > WHAT_LIMIT:
            steps = "1 step" if len(self._steps) == 1 else f"{len(self._steps)} steps"
            statement = f"the chain of {steps} shown above (${RELATIONS[self.relation]}$)"
        what = statement + (f", on {self.checked_on}" if self.checked_on else "")
        if self.where:
            what += ", where " + ", ".join(f"${sp.latex(k)} = {sp.latex(v)}$"
                                           for k, v in self.where.items())
        return Check("derivation", self.strength, what,
                     f"{len(self._steps)} checked steps", self.label)

    # ---- lemmas ------------------------------------------------------------

    def as_lemma(self, variable: sp.Symbol, name: str) -> type:
        """This finished proof of ``start >= 0`` as a SymPy function usable in certificates.

        ``name(u)`` stands for ``start`` with ``variable`` replaced by ``u``;
        :func:`is_nonnegative` knows it is >= 0 wherever ``u`` satisfies the
        assumptions of ``variable`` (positive, non-negative or real), and
        ``.doit()`` expands it so an equality with the gap can be proven.
        Only an unconditional, symbolic proof can become a lemma.
        """
        self._require_nonnegativity_proof()
        if self.where:
            raise ValueError("a lemma must hold unconditionally: this proof uses where= "
                             f"({', '.join(map(str, self.where))}), so it cannot become a lemma")
        body = self.start
        if not isinstance(variable, sp.Symbol) or body.free_symbols != {variable}:
            raise ValueError(f"variable must be the only symbol of the lemma {sp.sstr(body)}")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"name must be an identifier, got {name!r}")
        return type(name, (Lemma,), {"nargs": 1, "body": body, "variable": variable})

    def _require_nonnegativity_proof(self, strict: bool = False) -> None:
        allowed = (">",) if strict else ("=", ">=", ">")
        if not self._steps or self.relation not in allowed or self.end != 0:
            raise ValueError("a certificate derivation must be a finished chain ending in "
                             + ("'> 0'" if strict else "'>= 0'"))
        if not self.symbolic:
            raise ValueError("a certificate or lemma must be proven symbolically; this chain "
                             "has steps checked only at random instances, which is evidence, "
                             "not a proof")

    # ---- internals ---------------------------------------------------------

    def _new(self, expr, reason) -> sp.Expr:
        if self._closed:
            raise ValueError("this derivation is closed (qed() was called); start a new one")
        display.reason_tex(reason)                  # refuses an empty or unbalanced reason
        expr = _expression(expr, "expr")
        clash = same_names_differ(self.start, expr, *[s.expr for s in self._steps],
                                  *self.where, *self.where.values())
        if clash:
            raise ValueError(f"two different symbols share the name(s) {clash} (different "
                             "assumptions); the display could not tell them apart")
        return expr

    def _display(self, tex, expr, what) -> tuple[str, bool]:
        if tex is None:
            return self._latex(expr), True
        if not isinstance(tex, str) or not tex.strip():
            raise ValueError(f"tex must be a non-empty LaTeX string, got {tex!r}")
        verdict, why = texcheck.compare(tex, substitute(expr, {}), abbreviate=self.abbreviate)
        if verdict == "differs":
            # A wrong display, not evidence that the mathematics is false: no refutation.
            raise CheckFailed(f"{what} is displayed as something else: {why}")
        return tex, verdict == texcheck.MATCHES

    def _latex(self, expr) -> str:
        shown = expr.subs({value: name for name, value in self.abbreviate.items()})
        return display.latex(shown)

    def _inequality(self, relation, expr, reason, tex, certificate, instances, n, seed):
        expr = self._new(expr, reason)
        if (certificate is None) == (instances is None):
            raise ValueError("an inequality step needs exactly one of certificate= or instances=")
        directions = {_DIRECTION[s.relation] for s in self._steps if s.relation != "="}
        if directions and _DIRECTION[relation] not in directions:
            raise ValueError("a chain cannot mix >= and <= steps: it would prove nothing")
        larger, smaller = (self.end, expr) if _DIRECTION[relation] == ">" else (expr, self.end)
        gap = larger - smaller
        strict = relation in (">", "<")
        if certificate is not None:
            how = self._check_certificate(relation, expr, reason, gap, certificate, strict)
            return self._add(relation, expr, reason, tex, how, "proof")
        how = self._check_instances(relation, expr, reason, gap, instances, n, seed, strict)
        return self._add(relation, expr, reason, tex, how, "exact-instances")

    def _check_certificate(self, relation, expr, reason, gap, certificate, strict) -> str:
        sign = "> 0" if strict else ">= 0"
        if isinstance(certificate, Derivation):
            certificate._require_nonnegativity_proof(strict)
            foreign = {k: v for k, v in certificate.where.items()
                       if k not in self.where or sp.simplify(self.where[k] - v) != 0}
            if foreign:
                self._fail(relation, expr, reason,
                           "the certificate was proven under where= "
                           f"{ {str(k): str(v) for k, v in foreign.items()} }, which this chain "
                           "does not assume")
            value, why = certificate.start, "a checked derivation"
        else:
            value = _expression(certificate, "certificate")
            if not is_nonnegative(value, strict=strict):
                self._fail(relation, expr, reason,
                           f"the certificate {sp.sstr(value)} is not shown to be {sign}")
            why = "sign rules"
        try:
            negative = _sign_at_points(value, self.where, "strict" if strict else "")
        except points.NoPoint as err:
            raise ValueError(str(err)) from None
        if negative is not None:
            self._fail(relation, expr, reason,
                       f"the certificate {sp.sstr(value)} is not {sign}: {negative}", True)
        try:
            prove_equal(gap, value, self.where, what="the gap = the certificate")
        except CheckFailed as failure:
            self._fail(relation, expr, reason,
                       f"the gap is not equal to the certificate {sp.sstr(value)} ({failure})",
                       failure.refuted)
        sign_tex = "> 0" if strict else r"\ge 0"
        return f"the gap equals ${self._latex(value)}$, which is ${sign_tex}$ by {why}"

    def _check_instances(self, relation, expr, reason, gap, instances, n, seed, strict) -> str:
        if not callable(instances):
            raise TypeError(f"instances must be a function rng -> {{symbol: value}}, got {instances!r}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_INSTANCES:
            raise ValueError(f"n must be a whole number of instances in 1..{MAX_INSTANCES}, got {n!r}")
        rng = np.random.default_rng(seed)
        smallest = None
        for _ in range(n):
            point = instances(rng)
            if not isinstance(point, Mapping):
                raise TypeError(f"instances() must return a dict {{symbol: value}}, got {point!r}")
            point = {k: sp.sympify(v) for k, v in point.items()}
            for symbol, value in point.items():
                if isinstance(symbol, sp.Symbol) and not points.satisfies(value, symbol):
                    raise ValueError(f"instances() gave {symbol} = {value}, which breaks its "
                                     f"declared assumptions")
            value = substitute(substitute(gap, self.where), point)
            if value.free_symbols:
                raise ValueError(f"instances() left symbols unset: {sorted(map(str, value.free_symbols))}")
            margin = points.evaluate(points.prepare(value), {})
            if margin is None or not margin.is_real:
                self._fail(relation, expr, reason, f"not a finite real number at {point}", True)
            if margin < -_MARGIN or (strict and margin <= _MARGIN):
                self._fail(relation, expr, reason,
                           f"violated at {point}: the difference is {sp.N(margin, 6)}", True)
            smallest = margin if smallest is None else min(smallest, margin)
        return f"{n} random instances (seed {seed}), smallest margin {float(smallest):.3g}"

    def _add(self, relation, expr, reason, tex, how, strength) -> "Derivation":
        shown, read = self._display(tex, expr, f"step {len(self._steps) + 1}")
        if not read:
            how += f"; checked as ${self._latex(expr)}$"
        self._steps.append(Step(relation, expr, reason, shown, how, strength, read))
        _PASSED[0] += 1
        return self

    def _fail(self, relation, expr, reason, why, refuted: bool = False):
        raise CheckFailed(
            f"step {len(self._steps) + 1} ({relation} {sp.sstr(expr)}; reason: {reason}) "
            f"is not verified: {why}", refuted=refuted)

    # ---- display -----------------------------------------------------------

    def _lines(self, expr, tex: str) -> list[str]:
        """A formula of the chain in lines: SymPy's own rendering is broken between terms."""
        if tex != self._latex(expr):
            return [tex]                      # hand-written: kept whole
        shown = expr.subs({value: name for name, value in self.abbreviate.items()})
        return display.lines(shown, width=display.LINE)

    def latex(self) -> str:
        """The chain as an ``alignedat`` block, reasons and check marks at the right.

        A long formula is broken between its terms onto continuation lines.
        """
        rows = []
        start = self._lines(self.start, self.tex)
        if len(start) > 1:                    # a long start gets its own lines
            rows += [f" &{'' if i == 0 else chr(92) + 'quad '}{line} &&"
                     for i, line in enumerate(start)]
        for i, step in enumerate(self._steps):
            left = start[0] if i == 0 and len(start) == 1 else ""
            parts = self._lines(step.expr, step.tex)
            rows.append(f"{left} &{RELATIONS[step.relation]} {parts[0]} "
                        f"&\\qquad& {display.reason_tex(step.reason)} \\; {display.CHECK_TEX}")
            rows += [f" &\\quad {part} &&" for part in parts[1:]]
        return "\\begin{alignedat}{2}\n" + " \\\\\n".join(rows) + "\n\\end{alignedat}"

    def _rows(self) -> list[tuple[str, str, str]]:
        """``(left side, relation and formula, reason as MyST)``: the rows of :meth:`latex`."""
        rows = []
        start = self._lines(self.start, self.tex)
        if len(start) > 1:                    # a long start gets its own lines
            rows += [("", line if i == 0 else r"\quad " + line, "") for i, line in enumerate(start)]
        for i, step in enumerate(self._steps):
            left = start[0] if i == 0 and len(start) == 1 else ""
            parts = self._lines(step.expr, step.tex)
            rows.append((left, f"{RELATIONS[step.relation]} {parts[0]}",
                         display.reason_markdown(step.reason)))
            rows += [("", r"\quad " + part, "") for part in parts[1:]]
        return rows

    def grid(self) -> str:
        """The chain as the page shows it (``display.chain_grid``): the same rows as
        :meth:`latex`, each step's reason in words beside it (under it on a phone)."""
        return display.chain_grid(self._rows())

    def _repr_markdown_(self) -> str:
        notes = [f"checked on {self.checked_on}"] if self.checked_on else []
        if not self._start_read:
            notes.append(f"the first line is checked as ${self._latex(self.start)}$")
        notes += [f"step {i}: {s.how}" for i, s in enumerate(self._steps, 1)]
        defined = {**self.abbreviate, **self.where}
        if defined:
            where = ", ".join(f"${sp.latex(k)} = {sp.latex(v)}$" for k, v in defined.items())
            notes.append(f"where {where}")
        rows = self._rows()
        shown = display.html_and_pdf(display.chain_grid(rows), display.chain_latex(rows))
        return shown + display.footer(self.strength, self.label, notes)

    def __repr__(self) -> str:
        rows = [sp.sstr(self.start)]
        rows += [f"  {s.relation} {sp.sstr(s.expr)}    [{s.reason}; {s.how}]" for s in self._steps]
        return "\n".join(rows)
