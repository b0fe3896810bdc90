"""The verification toolkit: every result the book displays is checked here.

Four kinds of check, each of which raises :class:`CheckFailed` (an
``AssertionError``, so pytest, nbval and the book build all stop on it):

- :class:`Derivation`: a chain ``a = b >= c = ...``.  Each ``=`` step is proven
  by SymPy (the difference simplifies to zero under one of a few targeted
  rewrites); each ``>=``/``<=`` step either by a *certificate* (the difference
  equals a quantity proven non-negative) or by exact evaluation on many random
  instances.  The chain renders as one aligned block with the reason and a
  check mark beside each step.
- :func:`assert_identity`: one symbolic identity ``lhs == rhs``.
- :func:`assert_mc_close`: a Monte Carlo mean within ``z`` standard errors of
  an exact value.
- :func:`assert_close` and :func:`assert_inequality`: deterministic numbers
  within a stated tolerance, or ordered elementwise.

Every check may name the equation label it verifies (``label="eq-jensen"``);
passing checks are recorded in a registry that :func:`report` compares with
the labels the chapter's text defines, so a labelled equation with no passing
check fails the chapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import sympy as sp

__all__ = [
    "CheckFailed",
    "Derivation",
    "assert_identity",
    "assert_mc_close",
    "assert_close",
    "assert_inequality",
    "assert_fails",
    "is_nonnegative",
    "checked_labels",
    "clear_registry",
    "report",
]


class CheckFailed(AssertionError):
    """A step, identity or number that the machine could not confirm."""


# --------------------------------------------------------------------------
# The label registry
# --------------------------------------------------------------------------

_REGISTRY: dict[str, list[str]] = {}
_PASSED = [0]     # checks passed in this process, labelled or not


def _register(label: str | None, description: str) -> None:
    """Record one passed check, and the label it verifies if any."""
    _PASSED[0] += 1
    if label is None:
        return
    if not isinstance(label, str) or not label.startswith("eq-"):
        raise ValueError(f"label must be a string starting with 'eq-', got {label!r}")
    _REGISTRY.setdefault(label, []).append(description)


def checked_labels() -> dict[str, list[str]]:
    """Labels verified so far in this process, each with what verified it."""
    return {label: list(how) for label, how in _REGISTRY.items()}


def clear_registry() -> None:
    """Forget every recorded check (for tests; a notebook never needs it)."""
    _REGISTRY.clear()
    _PASSED[0] = 0


# --------------------------------------------------------------------------
# Symbolic equality
# --------------------------------------------------------------------------

def _rewrites() -> list[tuple[str, Callable[[sp.Expr], sp.Expr]]]:
    """The targeted rewrites tried, in order, to bring a difference to zero.

    ``expand_log`` and ``logcombine`` are used without ``force``: they act only
    where SymPy knows the arguments are positive, so declare probabilities and
    variances ``positive=True``.  A rewrite that relied on ``force`` could
    "prove" ``log(a*b) = log(a) + log(b)`` for negative numbers.
    """
    return [
        ("simplify", sp.simplify),
        ("expand_log", lambda e: sp.simplify(sp.expand_log(sp.expand(e)))),
        ("logcombine", lambda e: sp.simplify(sp.logcombine(e))),
        ("together", lambda e: sp.simplify(sp.together(sp.expand(e)))),
        ("expand", lambda e: sp.expand(sp.expand_log(sp.powsimp(sp.expand(e))))),
    ]


def _prove_zero(difference, where: Mapping | None = None) -> str | None:
    """Name of the first rewrite that turns ``difference`` into exactly 0.

    ``where`` (constraints such as ``{q3: 1 - q1 - q2}``) is substituted after
    each rewrite as well as before: substituting first can hide a sign SymPy
    needs (``1 - q1 - q2`` is not known to be positive, ``q3`` is).
    """
    difference = sp.sympify(difference).doit()
    for name, rewrite in [("direct", lambda e: e)] + _rewrites():
        rewritten = rewrite(difference)
        if rewritten == 0:
            return name
        if where and sp.simplify(sp.expand(_substitute(rewritten, where))) == 0:
            return f"{name}, then the constraint"
        if where and rewrite(_substitute(difference, where)) == 0:
            return f"the constraint, then {name}"
    return None


class _Lemma(sp.Function):
    """An application of a proven non-negativity lemma (see :meth:`Derivation.as_lemma`)."""

    body: sp.Expr
    variable: sp.Symbol

    def doit(self, **hints):
        argument = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        return self.body.subs(self.variable, argument)

    def holds(self) -> bool:
        """Whether the argument lies where the lemma was proven."""
        u, v = self.args[0], self.variable
        for assumption in ("positive", "nonnegative", "real"):
            if getattr(v, "is_" + assumption) and getattr(u, "is_" + assumption) is not True:
                return False
        return True


def _integral_nonnegative(integral: sp.Integral, strict: bool = False) -> bool:
    """An integral over an ordered interval of an integrand that is >= 0 there.

    With ``strict``: the interval has positive length and the integrand is
    > 0 inside it, so the (continuous) integral is > 0.
    """
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        return False
    r, a, b = integral.limits[0]
    if (b - a).is_positive is not True and (strict or (b - a).is_zero is not True):
        return False
    u = sp.Dummy("u", positive=True)   # r = a + (b - a)/(1 + u) runs over (a, b)
    inside = integral.function.subs(r, a + (b - a) / (1 + u))
    return is_nonnegative(inside, strict=strict)


def is_nonnegative(expr, strict: bool = False) -> bool:
    """Whether ``expr >= 0`` (``> 0`` if ``strict``) follows from SymPy's sign rules.

    Two kinds of atom are known to be >= 0 on top of SymPy's rules: an
    integral of a non-negative integrand over an ordered interval, and an
    application of a proven lemma (:meth:`Derivation.as_lemma`) inside its
    domain.  Each is replaced by a non-negative placeholder before asking SymPy.
    """
    expr = sp.sympify(expr)
    known = {}
    for atom in expr.atoms(sp.Integral, _Lemma):
        if isinstance(atom, _Lemma):
            if atom.holds():
                known[atom] = sp.Dummy(nonnegative=True)
        elif _integral_nonnegative(atom, strict=True):
            known[atom] = sp.Dummy(positive=True)
        elif _integral_nonnegative(atom):
            known[atom] = sp.Dummy(nonnegative=True)
    expr = expr.xreplace(known)
    # SymPy's sign rules see more in some equivalent forms than in others.
    test = "is_positive" if strict else "is_nonnegative"
    return any(getattr(form(expr), test) is True
               for form in (lambda e: e, sp.cancel, sp.factor, sp.simplify))


def _substitute(expr, where: Mapping) -> sp.Expr:
    expr = sp.sympify(expr)
    return expr.subs(dict(where)) if where else expr


def assert_identity(lhs, rhs, *, where: Mapping | None = None,
                    label: str | None = None, claim: str | None = None) -> "Identity":
    """Prove ``lhs == rhs`` symbolically; raise :class:`CheckFailed` if SymPy cannot.

    ``where`` maps symbols to expressions substituted on both sides first
    (a constraint such as ``{q3: 1 - q1 - q2}``).  Returns a displayable record,
    shown as the identity itself or, when it is too long to read, as ``claim``
    (a sentence saying what was proven).
    """
    difference = sp.sympify(lhs) - sp.sympify(rhs)
    method = _prove_zero(difference, where)
    if method is None:
        residual = sp.simplify(difference)
        raise CheckFailed(
            f"identity not proven: {sp.sstr(lhs)} = {sp.sstr(rhs)}; "
            f"the difference simplifies to {sp.sstr(residual)}, not 0"
        )
    _register(label, f"identity (SymPy: {method})")
    return Identity(sp.sympify(lhs), sp.sympify(rhs), method, label, claim)


@dataclass
class Identity:
    """A proven identity, as :func:`assert_identity` returns it."""

    lhs: sp.Expr
    rhs: sp.Expr
    method: str
    label: str | None = None
    claim: str | None = None

    def _repr_markdown_(self) -> str:
        proof = f"proven by SymPy ({self.method})"
        if self.claim:
            return _footer(self.label, [f"{self.claim}, {proof}"])
        body = f"{sp.latex(self.lhs)} = {sp.latex(self.rhs)}"
        return _math_block(body) + _footer(self.label, [proof])

    def __repr__(self) -> str:
        return f"Identity({sp.sstr(self.lhs)} = {sp.sstr(self.rhs)}, proven by {self.method})"


# --------------------------------------------------------------------------
# Derivations
# --------------------------------------------------------------------------

_RELATIONS = {"=": "=", ">=": r"\ge", "<=": r"\le", ">": ">", "<": "<"}
_DIRECTION = {">=": ">", ">": ">", "<=": "<", "<": "<"}


@dataclass
class Step:
    relation: str          # "=", ">=", ">", "<=" or "<"
    expr: sp.Expr
    reason: str
    tex: str
    how: str               # how the machine checked it, in words


@dataclass
class Derivation:
    """A chain of expressions, each step checked the moment it is added.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> d = (Derivation(sp.log(a * b))
    ...      .eq(sp.log(a) + sp.log(b), "log of a product"))

    ``start`` is the first expression.  ``where`` holds substitutions applied
    in every check, e.g. the constraint that probabilities sum to one.
    ``abbreviate`` maps a display symbol to the expression it stands for
    (``{xbar: w1*x1 + w2*x2}``): only the display uses it.  ``tex`` (here and
    on each step) replaces the displayed LaTeX outright; the check always uses
    the SymPy expression.  ``where`` and ``abbreviate`` are listed under the chain.
    When the display shows a general form (a sum over ``k``) and the check runs
    on a stand-in (``K = 2`` symbolic states), say so in ``checked_on``.
    """

    start: sp.Expr
    tex: str | None = None
    where: Mapping = field(default_factory=dict)
    abbreviate: Mapping = field(default_factory=dict)
    checked_on: str | None = None
    steps: list[Step] = field(default_factory=list)
    label: str | None = None

    def __post_init__(self):
        self.start = sp.sympify(self.start)
        self.tex = self.tex if self.tex is not None else self._latex(self.start)

    def _latex(self, expr) -> str:
        shown = expr.subs({value: name for name, value in self.abbreviate.items()})
        return sp.latex(shown)

    @property
    def end(self) -> sp.Expr:
        return self.steps[-1].expr if self.steps else self.start

    @property
    def relation(self) -> str:
        """The relation the whole chain proves between ``start`` and ``end``.

        ``=`` if every step is ``=``; otherwise the direction of the
        inequalities, strict if any step is strict.
        """
        kinds = {s.relation for s in self.steps} - {"="}
        if not kinds:
            return "="
        direction = _DIRECTION[next(iter(kinds))]
        return direction if direction in kinds else direction + "="

    # ---- the three kinds of step -------------------------------------------

    def eq(self, expr, reason: str, *, tex: str | None = None) -> "Derivation":
        """Add ``= expr``; SymPy must prove it equal to the previous expression."""
        expr = sp.sympify(expr)
        method = _prove_zero(self.end - expr, self.where)
        if method is None:
            self._fail("=", expr, reason, "SymPy could not reduce the difference to 0")
        return self._add("=", expr, reason, tex, f"SymPy ({method})")

    def ge(self, expr, reason: str, *, tex: str | None = None,
           certificate=None, instances: Callable | None = None,
           n: int = 200, seed: int = 0) -> "Derivation":
        """Add ``>= expr``, checked by ``certificate`` or by random ``instances``.

        certificate: a SymPy expression equal to (previous - expr) that SymPy
            knows is non-negative (``is_nonnegative``), or a finished
            :class:`Derivation` proving ``certificate.start >= 0``.
        instances: a function ``rng -> {symbol: value}`` drawing one random
            instance; the step is evaluated at ``n`` instances with 50
            significant digits and must hold at each.
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
        if not self.steps:
            raise ValueError("a derivation needs at least one step before qed()")
        self.label = label
        if label is not None:
            _register(label, f"derivation ({len(self.steps)} checked steps)")
            _PASSED[0] -= 1       # the steps were counted as they passed
        return self

    # ---- internals ---------------------------------------------------------

    def _inequality(self, relation, expr, reason, tex, certificate, instances, n, seed):
        expr = sp.sympify(expr)
        if (certificate is None) == (instances is None):
            raise ValueError("an inequality step needs exactly one of certificate= or instances=")
        directions = {_DIRECTION[s.relation] for s in self.steps if s.relation != "="}
        if directions and _DIRECTION[relation] not in directions:
            raise ValueError("a chain cannot mix >= and <= steps: it would prove nothing")
        larger, smaller = (self.end, expr) if _DIRECTION[relation] == ">" else (expr, self.end)
        gap = larger - smaller
        strict = relation in (">", "<")
        if certificate is not None:
            how = self._check_certificate(relation, expr, reason, gap, certificate, strict)
        else:
            how = self._check_instances(relation, expr, reason, gap, instances, n, seed, strict)
        return self._add(relation, expr, reason, tex, how)

    def _check_certificate(self, relation, expr, reason, gap, certificate, strict) -> str:
        sign = "> 0" if strict else ">= 0"
        if isinstance(certificate, Derivation):
            certificate._require_nonnegativity_proof(strict)
            value, why = certificate.start, "a checked derivation"
        else:
            value = sp.sympify(certificate)
            if not is_nonnegative(value, strict=strict):
                self._fail(relation, expr, reason,
                           f"the certificate {sp.sstr(value)} is not shown to be {sign}")
            why = "sign rules"
        if _prove_zero(gap - value, self.where) is None:
            self._fail(relation, expr, reason,
                       f"the gap is not equal to the certificate {sp.sstr(value)}")
        sign_tex = "> 0" if strict else r"\ge 0"
        return f"the gap equals ${self._latex(value)}$, which is ${sign_tex}$ by {why}"

    def _require_nonnegativity_proof(self, strict: bool = False) -> None:
        allowed = (">",) if strict else ("=", ">=", ">")
        if not self.steps or self.relation not in allowed or self.end != 0:
            raise ValueError("a certificate derivation must be a finished chain ending in "
                             + ("'> 0'" if strict else "'>= 0'"))

    def as_lemma(self, variable: sp.Symbol, name: str) -> type:
        """This finished proof of ``start >= 0`` as a SymPy function usable in certificates.

        ``name(u)`` stands for ``start`` with ``variable`` replaced by ``u``;
        :func:`is_nonnegative` knows it is >= 0 wherever ``u`` satisfies the
        assumptions of ``variable`` (positive, non-negative or real), and
        ``.doit()`` expands it so an equality with the gap can be proven.
        """
        self._require_nonnegativity_proof()
        body = self.start
        if variable not in body.free_symbols or body.free_symbols != {variable}:
            raise ValueError(f"variable must be the only symbol of the lemma {sp.sstr(body)}")
        return type(name, (_Lemma,), {"nargs": 1, "body": body, "variable": variable})

    def _check_instances(self, relation, expr, reason, gap, instances, n, seed, strict) -> str:
        if n < 1:
            raise ValueError(f"n must be a positive number of instances, got {n}")
        rng = np.random.default_rng(seed)
        smallest = None
        for _ in range(n):
            point = instances(rng)
            value = _substitute(_substitute(gap, self.where), point)
            if value.free_symbols:
                raise ValueError(f"instances() left symbols unset: {sorted(map(str, value.free_symbols))}")
            margin = sp.N(value, 50)
            if not margin.is_real:
                self._fail(relation, expr, reason, f"not real at {point}: {margin}")
            if margin < -sp.Float(10) ** -40 or (strict and margin <= sp.Float(10) ** -40):
                self._fail(relation, expr, reason,
                           f"violated at {point}: the difference is {sp.N(margin, 6)}")
            smallest = margin if smallest is None else min(smallest, margin)
        return f"{n} random instances (seed {seed}), smallest margin {float(smallest):.3g}"

    def _add(self, relation, expr, reason, tex, how) -> "Derivation":
        tex = tex if tex is not None else self._latex(expr)
        self.steps.append(Step(relation, expr, reason, tex, how))
        _PASSED[0] += 1
        return self

    def _fail(self, relation, expr, reason, why):
        raise CheckFailed(
            f"step {len(self.steps) + 1} ({relation} {sp.sstr(expr)}; reason: {reason}) "
            f"is not verified: {why}"
        )

    # ---- display -----------------------------------------------------------

    def latex(self) -> str:
        """The chain as an ``alignedat`` block, reasons and check marks at the right."""
        lines = []
        for i, step in enumerate(self.steps):
            left = self.tex if i == 0 else ""
            lines.append(f"{left} &{_RELATIONS[step.relation]} {step.tex} "
                         f"&\\qquad& {_reason_tex(step.reason)} \\; {_CHECK}")
        return "\\begin{alignedat}{2}\n" + " \\\\\n".join(lines) + "\n\\end{alignedat}"

    def _repr_markdown_(self) -> str:
        notes = [f"checked on {self.checked_on}"] if self.checked_on else []
        notes += [f"step {i}: {s.how}" for i, s in enumerate(self.steps, 1)]
        defined = {**self.abbreviate, **self.where}
        if defined:
            where = ", ".join(f"${sp.latex(k)} = {sp.latex(v)}$" for k, v in defined.items())
            notes.append(f"where {where}")
        return _math_block(self.latex()) + _footer(self.label, notes)

    def __repr__(self) -> str:
        rows = [sp.sstr(self.start)]
        rows += [f"  {s.relation} {sp.sstr(s.expr)}    [{s.reason}; {s.how}]" for s in self.steps]
        return "\n".join(rows)


_CHECK = r"{\color{green}\checkmark}"


def _reason_tex(reason: str) -> str:
    """Reason text for LaTeX: plain words in ``\\text{}``, ``$...$`` kept as math."""
    parts = reason.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"reason has an unmatched '$': {reason!r}")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
        elif part:
            escaped = "".join("\\" + c if c in "&%#_{}" else c for c in part)
            out.append(r"\text{" + escaped + "}")
    return r"\small " + "".join(out)


def _math_block(body: str) -> str:
    return f"$$\n{body}\n$$\n"


def _footer(label: str | None, notes: list[str]) -> str:
    head = f"✔ machine-checked ({label})" if label else "✔ machine-checked"
    return f"\n<small>{head}: " + "; ".join(notes) + ".</small>\n"


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

@dataclass
class NumericCheck:
    """A passed numeric check, as the ``assert_*`` functions below return it."""

    claim: str
    detail: str
    label: str | None = None

    def _repr_markdown_(self) -> str:
        where = f" ({self.label})" if self.label else ""
        return f"✔ checked{where}: {self.claim} — {self.detail}."

    def __repr__(self) -> str:
        return f"checked: {self.claim} ({self.detail})"


def _finite_array(name: str, value) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got non-finite entries")
    return array


def assert_mc_close(samples, exact, *, z: float = 4.0,
                    label: str | None = None) -> NumericCheck:
    """Assert that the mean of iid ``samples`` is within ``z`` standard errors of ``exact``.

    The standard error is ``std(samples, ddof=1) / sqrt(n)``.  With a fixed
    seed the check is deterministic; ``z = 4`` means a correct estimator fails
    with probability about 6e-5 over the choice of seed.
    """
    samples = _finite_array("samples", samples).ravel()
    exact = float(_finite_array("exact", exact))
    if samples.size < 2:
        raise ValueError(f"samples must hold at least 2 draws, got {samples.size}")
    if not z > 0:
        raise ValueError(f"z must be positive, got {z}")
    mean = samples.mean()
    se = samples.std(ddof=1) / np.sqrt(samples.size)
    if se == 0:
        ok, distance = np.isclose(mean, exact, rtol=1e-12, atol=0), 0.0
    else:
        distance = abs(mean - exact) / se
        ok = distance <= z
    if not ok:
        raise CheckFailed(f"Monte Carlo mean {mean:.6g} is {distance:.2f} standard errors "
                          f"(SE {se:.3g}, n={samples.size}) from the exact value {exact:.6g}; "
                          f"allowed: {z}")
    _register(label, f"Monte Carlo within {z} SE")
    return NumericCheck(f"Monte Carlo mean {mean:.6g} matches exact {exact:.6g}",
                        f"{distance:.2f} SE away (SE {se:.2g}, n = {samples.size}, allowed {z} SE)",
                        label)


def assert_close(value, exact, *, rtol: float = 1e-12, atol: float = 0.0,
                 label: str | None = None) -> NumericCheck:
    """Assert ``|value - exact| <= atol + rtol * |exact|`` elementwise (deterministic values)."""
    value, exact = _finite_array("value", value), _finite_array("exact", exact)
    if rtol < 0 or atol < 0:
        raise ValueError(f"rtol and atol must be non-negative, got {rtol}, {atol}")
    try:
        error = np.abs(value - exact)
        allowed = atol + rtol * np.abs(exact)
    except ValueError as err:
        raise ValueError(f"value and exact must broadcast together: {err}") from None
    if not np.all(error <= allowed):
        worst = np.unravel_index(np.argmax(error - allowed), error.shape) if error.ndim else ()
        raise CheckFailed(f"value {np.asarray(value)[worst] if np.ndim(value) else value} differs "
                          f"from exact {np.broadcast_to(exact, error.shape)[worst]} by "
                          f"{error[worst]:.3g} > allowed {np.broadcast_to(allowed, error.shape)[worst]:.3g}")
    _register(label, f"numeric within rtol={rtol:g}, atol={atol:g}")
    return NumericCheck(f"{error.size} value(s) match the exact answer",
                        f"largest error {error.max():.2g} (rtol {rtol:g}, atol {atol:g})", label)


def assert_inequality(larger, smaller, *, atol: float = 0.0,
                      label: str | None = None) -> NumericCheck:
    """Assert ``larger >= smaller - atol`` elementwise; returns the smallest margin."""
    larger, smaller = _finite_array("larger", larger), _finite_array("smaller", smaller)
    if atol < 0:
        raise ValueError(f"atol must be non-negative, got {atol}")
    try:
        margin = larger - smaller
    except ValueError as err:
        raise ValueError(f"larger and smaller must broadcast together: {err}") from None
    if np.any(margin < -atol):
        raise CheckFailed(f"inequality fails at {int(np.sum(margin < -atol))} of {margin.size} "
                          f"points; worst margin {margin.min():.3g} (atol {atol:g})")
    _register(label, f"inequality at {margin.size} points")
    return NumericCheck(f"larger >= smaller at all {margin.size} points",
                        f"smallest margin {margin.min():.3g} (atol {atol:g})", label)


@dataclass
class Refutation:
    """A check that failed on purpose, as :func:`assert_fails` returns it."""

    claim: str
    message: str

    def _repr_markdown_(self) -> str:
        message = self.message.replace("`", "'")
        return f"✘ rejected, as it must be: {self.claim}. The check says: `{message}`"

    def __repr__(self) -> str:
        return f"rejected: {self.claim} ({self.message})"


def assert_fails(claim: str, check: Callable, *args, **kwargs) -> Refutation:
    """Run ``check(*args, **kwargs)`` and require it to fail with :class:`CheckFailed`.

    This is how the book shows that a wrong statement (a source's erratum, a
    wrong step) is caught: if the check passes, *that* is the error.
    """
    saved, passed = checked_labels(), _PASSED[0]
    try:
        check(*args, **kwargs)
    except CheckFailed as failure:
        _PASSED[0] = passed + 1    # the refutation is the check that passed
        return Refutation(claim, str(failure))
    finally:
        _REGISTRY.clear()          # a refuted check must not count for any label
        _REGISTRY.update(saved)
    raise CheckFailed(f"expected this check to fail, but it passed: {claim}")


# --------------------------------------------------------------------------
# The chapter's verification report
# --------------------------------------------------------------------------

@dataclass
class Report:
    """Which labelled equations of a chapter were checked, and how."""

    chapter: str
    rows: list[tuple[str, str]]
    passed: int

    def _repr_markdown_(self) -> str:
        lines = [f"**All {len(self.rows)} labelled equations of this chapter were checked "
                 f"when this page was built** ({self.passed} checks passed in all).", "",
                 "| equation | checked by |", "|---|---|"]
        lines += [f"| {label} | {how} |" for label, how in self.rows]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        rows = [f"{label}: {how}" for label, how in self.rows]
        return "\n".join(rows + [f"{self.passed} checks passed in all"])


def report(chapter: str) -> Report:
    """Compare the labels that ``chapter`` (a MyST file) defines with the checks run.

    Fails if a labelled equation has no passing check, or a check names a
    label the chapter does not define (a typo).  Call it in a chapter's last
    cell with the chapter's file name; the kernel runs in the chapter's folder.
    """
    from helpers.labels import equation_labels

    defined = equation_labels(chapter)
    unchecked = [label for label in defined if label not in _REGISTRY]
    unknown = sorted(set(_REGISTRY) - set(defined))
    if unchecked or unknown:
        raise CheckFailed(f"{chapter}: labelled equations with no passing check: {unchecked}; "
                          f"checks naming labels the chapter does not define: {unknown}")
    rows = [(label, "; ".join(sorted(set(_REGISTRY[label])))) for label in defined]
    return Report(chapter, rows, _PASSED[0])
