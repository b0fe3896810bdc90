"""Symbolic checks: equality by SymPy's rewrites and exact points, and sign rules.

- :func:`prove_equal` is the check behind every ``=``: SymPy must reduce the
  difference to 0 under one of a few targeted rewrites, **and** both sides
  must agree to 50 digits at seeded random points that respect the symbols'
  assumptions (:mod:`helpers.verify.points`), so that a simplifier bug cannot
  prove a false identity.  A failure says whether it is a refutation (a point
  where the sides differ) or only SymPy's incompleteness.
- :func:`~helpers.verify.is_nonnegative` decides ``expr >= 0`` by SymPy's sign rules, with two
  extra kinds of atom: an integral of a non-negative integrand over an ordered
  interval, and an application of a proven lemma inside its domain.
"""

from __future__ import annotations

from typing import Callable, Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from helpers.verify.points import agree_at_points, validate_where
from helpers.verify.registry import CheckFailed

#: How many random points every ``=`` is evaluated at, and how many are searched
#: for a counterexample when SymPy cannot prove an identity.
POINTS = 3
SEARCH = 24


def _rewrites() -> list[tuple[str, Callable[[sp.Expr], sp.Expr], bool]]:
    """The targeted rewrites tried, in order, to bring a difference to zero.

    Each entry is ``(name, rewrite, cheap)``.  Cheap rewrites come first (most
    steps of a derivation are a re-ordering or a cancellation), ``simplify``
    and its combinations last.  ``expand_log`` and ``logcombine`` are used
    without ``force``: they act only where SymPy knows the arguments are
    positive, so declare probabilities and variances ``positive=True``.  A
    rewrite that relied on ``force`` could "prove" ``log(a*b) = log(a) + log(b)``
    for negative numbers.
    """
    return [
        ("expand", sp.expand, True),
        ("cancel", lambda e: sp.cancel(sp.together(e)), True),
        ("expand_log", lambda e: sp.expand(sp.expand_log(sp.powsimp(sp.expand(e)))), True),
        ("expand_log, simplify", lambda e: sp.simplify(sp.expand_log(sp.expand(e))), False),
        ("simplify", sp.simplify, False),
        ("logcombine", lambda e: sp.simplify(sp.logcombine(e)), False),
        ("together", lambda e: sp.simplify(sp.together(sp.expand(e))), False),
    ]


def substitute(expr, where: Mapping | None) -> sp.Expr:
    expr = sp.sympify(expr)
    return expr.subs(dict(where)) if where else expr


def _is_zero(expr) -> bool:
    return expr == 0 or sp.expand(expr) == 0


def prove_zero(difference, where: Mapping | None = None) -> str | None:
    """As :func:`~helpers.verify.symbolic.search_zero`, remembered across runs (:mod:`~helpers.verify.proof_cache`)."""
    from helpers.verify import proof_cache
    difference = sp.sympify(difference)
    cache_key = proof_cache.key("zero", difference, where)
    remembered = proof_cache.lookup(cache_key)
    if remembered is not None:
        return remembered + " (remembered)"
    method = search_zero(difference, where)
    if method is not None:
        proof_cache.store(cache_key, method)
    return method


def search_zero(difference, where: Mapping | None = None, *,
                cheap_only: bool = False) -> str | None:
    """Name of the first rewrite that turns ``difference`` into exactly 0, or None.

    ``where`` (constraints such as ``{q3: 1 - q1 - q2}``) is substituted after
    each rewrite as well as before: substituting first can hide a sign SymPy
    needs (``1 - q1 - q2`` is not known to be positive, ``q3`` is).  The
    expensive rewrites try the substituted form first, where a constraint is
    given: that is where a proof that needs the constraint succeeds.
    ``cheap_only`` stops before the expensive rewrites (``simplify`` and the rest).
    """
    difference = _carry_out(sp.sympify(difference))
    if difference == 0:
        return "direct"
    forms = [("", difference)]
    if where:
        forms.append(("the constraint, then ", substitute(difference, where)))
    for name, rewrite, cheap in _rewrites():
        if cheap_only and not cheap:
            break
        for prefix, form in (forms if cheap else forms[::-1]):
            rewritten = _attempt(rewrite, form)
            if rewritten == 0:
                return prefix + name
            if where and not prefix and rewritten is not None \
                    and _is_zero(substitute(rewritten, where)):
                return f"{name}, then the constraint"
    return None


def _carry_out(expr):
    """``expr.doit()``, except integrals of undefined functions (SymPy would try for minutes)."""
    expr = expr.doit(integrals=False)
    return expr.replace(lambda e: isinstance(e, sp.Integral) and not e.atoms(AppliedUndef),
                        lambda e: e.doit())


def _attempt(rewrite, expr):
    """``rewrite(expr)``, or None where SymPy raises (its sum simplifier can)."""
    try:
        return rewrite(expr)
    except (StopIteration, RecursionError, TypeError, ValueError, AttributeError,
            NotImplementedError, ZeroDivisionError):
        return None


def refute_equal(lhs, rhs, where=None, *, n: int = SEARCH, seed: int = 1) -> str | None:
    """A sentence describing a point where ``lhs != rhs``, or None if none is found."""
    return agree_at_points(lhs, rhs, where, n=n, seed=seed)[1]


def prove_equal(lhs, rhs, where: Mapping | None = None, *, what: str = "identity") -> str:
    """Prove ``lhs == rhs`` twice (SymPy, then exact points); say how, or raise CheckFailed.

    A pass is remembered (:mod:`~helpers.verify.proof_cache`): the same
    obligation in a later run is answered from the cache, marked "remembered".
    """
    where = validate_where(where)
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    for side in (lhs, rhs):
        if side.has(sp.nan, sp.zoo):
            raise ValueError(f"{what}: {sp.sstr(side)} is not a number (nan or complex infinity)")
    from helpers.verify import proof_cache
    cache_key = proof_cache.key("equal", lhs, rhs, where)
    remembered = proof_cache.lookup(cache_key)
    if remembered is not None:
        return remembered + " (remembered)"
    # The points first: a false step is refuted there at once, without SymPy's slow
    # rewrites; the cheap ones still say whether SymPy would have "proven" it.
    agreed, counter = agree_at_points(lhs, rhs, where, n=POINTS, seed=0)
    method = search_zero(lhs - rhs, where, cheap_only=counter is not None)
    if counter is None and method is None:
        counter = refute_equal(lhs, rhs, where)
    if counter is not None:
        blame = (f"; SymPy's '{method}' rewrite had reduced the difference to 0, so that "
                 "rewrite is wrong here (a simplifier error, or an assumption it may not make)"
                 if method else "")
        raise CheckFailed(f"{what} is false: {counter}{blame}", refuted=True)
    if method is None:
        raise CheckFailed(f"{what} is not proven: SymPy could not reduce the difference to 0 "
                          f"(the sides agree at {agreed} random points, so it may be true; "
                          "this is not a refutation)")
    if agreed == 0:
        raise CheckFailed(f"{what}: SymPy reduced the difference to 0, but neither side could "
                          "be evaluated at any random point, so the second check is impossible")
    how = f"SymPy ({method}), and exact at {agreed} random points"
    proof_cache.store(cache_key, how)
    return how


class Lemma(sp.Function):
    """An application of a proven non-negativity lemma (see ``Derivation.as_lemma``)."""

    body: sp.Expr
    variable: sp.Symbol

    def doit(self, **hints):
        argument = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        return self.body.subs(self.variable, argument)

    def holds(self) -> bool:
        """Whether the argument provably has every assumption the lemma's variable had."""
        from helpers.verify.points import declared
        u = self.args[0]
        return all(getattr(u, "is_" + name) is wanted
                   for name, wanted in declared(self.variable).items())


def _integral_nonnegative(integral: sp.Integral, strict: bool = False) -> bool:
    """An integral over an ordered, finite interval of an integrand that is >= 0 there.

    With ``strict``: the interval has positive length and the integrand is
    > 0 inside it, so the (continuous) integral is > 0.
    """
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        return False
    r, a, b = integral.limits[0]
    if not (a.is_finite and b.is_finite):
        return False           # an improper integral may diverge: not a certificate
    if (b - a).is_positive is not True and (strict or (b - a).is_zero is not True):
        return False
    u = sp.Dummy("u", positive=True)   # r = a + (b - a)/(1 + u) runs over (a, b)
    inside = integral.function.subs(r, a + (b - a) / (1 + u))
    return is_nonnegative(inside, strict=strict)


def is_nonnegative(expr, strict: bool = False) -> bool:
    """Whether ``expr >= 0`` (``> 0`` if ``strict``) follows from SymPy's sign rules.

    Two kinds of atom are known to be >= 0 on top of SymPy's rules: an
    integral of a non-negative integrand over an ordered finite interval, and
    an application of a proven lemma inside its domain.  Each is replaced by a
    non-negative placeholder before asking SymPy.  Infinite or undefined
    values (``oo``, ``zoo``, ``nan``) are never certified.
    """
    expr = sp.sympify(expr)
    if expr.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return False
    known = {}
    for atom in expr.atoms(sp.Integral, Lemma):
        if isinstance(atom, Lemma):
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


def same_names_differ(*exprs) -> list[str]:
    """Names used by two different symbols (say a positive ``x`` and a real ``x``)."""
    seen: dict[str, sp.Symbol] = {}
    clash = set()
    for expr in exprs:
        for symbol in sp.sympify(expr).free_symbols:
            if symbol.name in seen and seen[symbol.name] != symbol:
                clash.add(symbol.name)
            seen.setdefault(symbol.name, symbol)
    return sorted(clash)
