"""Exact evaluation at seeded random points that respect every assumption.

The second, independent check of every ``=`` (after SymPy's rewrites): both
sides are evaluated to 50 significant digits at random points and must agree.
A point gives each free symbol a value that satisfies the symbol's declared
assumptions (a ``positive`` symbol gets a positive rational, an ``integer`` one
an integer, a symbol with no assumptions a complex number), and gives each key
of ``where=`` its value from the others, which must satisfy the key's own
assumptions too (``q3 = 1 - q1 - q2`` must come out positive if ``q3`` is).
Points are drawn with ``numpy.random.default_rng(seed)``, so every run checks
the same points.
"""

from __future__ import annotations

from typing import Mapping

import mpmath
import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

DIGITS = 50
AGREE = sp.Float(10, DIGITS) ** -35   # relative disagreement allowed at 50 digits
QUADRATURE_DIGITS = 42                 # an integral is accurate to about 1e-40 at this precision
_ATTEMPTS = 400

#: The assumptions a drawn value is checked against (the rest follow from these).
_CHECKED = ("integer", "rational", "real", "positive", "negative", "nonnegative",
            "nonpositive", "zero", "nonzero", "imaginary", "even", "odd", "prime",
            "irrational", "finite")


class NoPoint(ValueError):
    """No random point satisfies the symbols' assumptions and the constraints."""


def prepare(expr):
    """``expr`` ready to be evaluated at a point.

    Each application of a proven lemma is replaced by its body, and derivatives
    and limits are carried out first (a derivative with respect to a symbol
    cannot be taken once the symbol has a value).
    """
    from helpers.verify.symbolic import Lemma
    expr = sp.sympify(expr).replace(lambda e: isinstance(e, Lemma),
                                    lambda e: e.body.subs(e.variable, e.args[0]))
    return expr.replace(lambda e: isinstance(e, (sp.Derivative, sp.Limit)), lambda e: e.doit())


def _rational(rng, low: float, high: float) -> sp.Rational:
    return sp.Rational(int(rng.integers(int(low * 1000), int(high * 1000)) or 1), 1000)


def _draw(symbol: sp.Symbol, rng, scale: sp.Rational) -> sp.Expr:
    if symbol.is_integer:
        if symbol.is_positive:
            return sp.Integer(int(rng.integers(1, 7)))
        if symbol.is_nonnegative:
            return sp.Integer(int(rng.integers(0, 7)))
        if symbol.is_negative:
            return sp.Integer(-int(rng.integers(1, 7)))
        return sp.Integer(int(rng.integers(-6, 7)))
    magnitude = _rational(rng, 0.001, 5) * scale
    if symbol.is_irrational:
        magnitude = magnitude * sp.sqrt(2)
    if symbol.is_nonnegative or symbol.is_positive:
        return magnitude
    if symbol.is_nonpositive or symbol.is_negative:
        return -magnitude
    if symbol.is_real or symbol.is_extended_real:
        return magnitude if rng.random() < 0.5 else -magnitude
    if symbol.is_imaginary:
        return sp.I * magnitude
    return _rational(rng, -5, 5) * scale + sp.I * _rational(rng, -5, 5) * scale


_FACTS: dict[sp.Symbol, dict] = {}


def declared(symbol: sp.Symbol) -> dict:
    """The symbol's declared assumptions (cached: SymPy deduces them afresh on each call)."""
    if symbol not in _FACTS:
        _FACTS[symbol] = {k: v for k, v in symbol.assumptions0.items() if k in _CHECKED}
    return _FACTS[symbol]


_SIGNS = {"positive": lambda v: v > 0, "negative": lambda v: v < 0,
          "nonnegative": lambda v: v >= 0, "nonpositive": lambda v: v <= 0,
          "zero": lambda v: v == 0, "nonzero": lambda v: v != 0}


def satisfies(value, symbol: sp.Symbol) -> bool:
    """Whether ``value`` has every assumption declared on ``symbol``.

    A rational value is judged exactly; any other value by its 50-digit
    evaluation (SymPy's assumption system can take minutes on a large
    expression), which must then be real for any sign to hold.
    """
    facts = declared(symbol)
    value = sp.sympify(value)
    if not value.is_Rational:
        number = evaluate(value, {})
        if number is None:
            return False
        value = number
        if facts.get("integer") or facts.get("rational") or facts.get("irrational"):
            return False          # a float cannot be shown to be an integer
    for name in _CHECKED:
        wanted = facts.get(name)
        if wanted is None:
            continue
        if name in _SIGNS and value.is_Float:
            have = bool(_SIGNS[name](value))
        elif name in ("real", "finite") and value.is_Float:
            have = True
        else:
            have = getattr(value, "is_" + name)
        if have is not wanted:
            return False
    return True


def fixed_values(where: Mapping | None) -> list:
    """The symbols that ``where`` sets to a number: a check under them is a special case.

    A value counts as a number when it has no free symbols, or when it takes
    the same value at two random points (``sin(y)**2 + cos(y)**2`` is the
    number 1 written with a symbol).
    """
    fixed = []
    for key, value in (where or {}).items():
        value = sp.sympify(value)
        if not value.free_symbols:
            fixed.append(key)
            continue
        values = [evaluate(prepare(value), p) for p in
                  random_points(symbols_of(value), None, 2, seed=11)]
        if None not in values and abs(values[0] - values[1]) <= AGREE * max(abs(values[0]), 1):
            fixed.append(key)
    return fixed


def validate_where(where: Mapping | None) -> dict:
    """``where`` as a dict of ``Symbol -> expression``, refusing what cannot be meant."""
    if not where:
        return {}
    if not isinstance(where, Mapping):
        raise ValueError(f"where must map symbols to expressions, got {type(where).__name__}")
    result = {}
    for key, value in where.items():
        if not isinstance(key, sp.Symbol):
            raise ValueError(f"where keys must be SymPy symbols, got {key!r}")
        value = sp.sympify(value)
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise ValueError(f"where gives {key} the non-finite value {value}")
        if key in value.free_symbols:
            raise ValueError(f"where defines {key} in terms of itself: {key} = {value}")
        for fact in ("positive", "negative", "nonnegative", "nonpositive", "real", "integer"):
            if key.assumptions0.get(fact) is True and getattr(value, "is_" + fact) is False:
                raise ValueError(f"where sets {key} = {sp.sstr(value)}, which is never "
                                 f"{fact}, but {key} is declared {fact}")
        result[key] = value
    keys = set(result)
    for key, value in result.items():
        if value.free_symbols & keys:
            raise ValueError(f"where defines {key} through another constrained symbol "
                             f"({sorted(map(str, value.free_symbols & keys))}); "
                             "give every value in terms of free symbols only")
    return result


def _random_sequence(base, rank: int, rng, scale) -> sp.Lambda:
    """A random function standing for every entry of ``base``.

    Entries ``f[k]`` of an indexed family are not independent symbols: a sum
    over ``k`` and a single ``f[j]`` must see the same values.  So each family
    gets one random function of its indices, a quadratic (with even powers only
    when the family is positive or non-negative, and that function negated when
    it is negative or non-positive, so that every entry keeps the sign), and each
    entry is that function at its index.  An undefined function
    ``f(x)`` (``sp.Function("f")``) is treated the same way.
    """
    indices = sp.symbols(f"i0:{rank}", integer=True, cls=sp.Dummy)
    # The family's assumptions: its label's, or an application's (the class of an undefined
    # function has no assumption values of its own: ``Function("f").is_positive`` is a property).
    entry = base.label if isinstance(base, sp.IndexedBase) else base(*indices)
    positive = entry.is_positive is True or entry.is_nonnegative is True
    negative = entry.is_negative is True or entry.is_nonpositive is True
    real = positive or negative or entry.is_real is True

    def coefficient():
        value = _draw(sp.Dummy(positive=True), rng, scale)
        if positive or negative:
            return value
        if real:
            return value if rng.random() < 0.5 else -value
        return value + sp.I * _draw(sp.Dummy(positive=True), rng, scale)

    body = coefficient()
    for i in indices:
        body += coefficient() * i**2 + (coefficient() * i**4 / 100 if positive or negative
                                        else coefficient() * i)
    return sp.Lambda(indices, -body if negative else body)


def _exact(value):
    """A where value at a point: finite sums carried out, so it is a plain number if it can be."""
    if value.has(sp.Sum, sp.Product):
        try:
            return value.doit()
        except Exception:          # SymPy gives up: keep the unevaluated form
            return value
    return value


def _families(symbols) -> dict:
    """``{IndexedBase or undefined function: number of arguments}`` among ``symbols``."""
    found = {s.base: len(s.indices) for s in symbols if isinstance(s, sp.Indexed)}
    found.update({s.func: len(s.args) for s in symbols if isinstance(s, AppliedUndef)})
    return found


def _plain(symbols) -> set:
    """The ordinary symbols among ``symbols`` (not indexed entries, not their labels)."""
    labels = {s.base.label for s in symbols if isinstance(s, sp.Indexed)}
    return {s for s in symbols if isinstance(s, sp.Symbol) and s not in labels}


def random_points(symbols, where: Mapping | None, n: int, seed: int):
    """``n`` points ``{symbol: exact value}`` for ``symbols`` and the keys of ``where``.

    A generator: the points are drawn as they are asked for.
    """
    where = validate_where(where)
    everything = set(symbols) | set().union(*[v.free_symbols for v in where.values()])
    families = _families(everything)
    free = sorted(_plain(everything) - set(where), key=sp.default_sort_key)
    rng = np.random.default_rng(seed)
    found, attempts, scale = 0, 0, sp.Integer(1)
    while found < n:
        attempts += 1
        if attempts > _ATTEMPTS:
            described = ", ".join(f"{k} = {sp.sstr(v)}" for k, v in where.items())
            raise NoPoint(f"no point found where every symbol keeps its assumptions"
                          f"{' and ' + described if described else ''}: the constraints "
                          "contradict the symbols' declared assumptions")
        if attempts % 8 == 0:
            scale = scale / 4      # small values satisfy constraints like 1 - q1 - q2 > 0
        point = {s: _draw(s, rng, scale) for s in free}
        if not all(satisfies(point[s], s) for s in free):
            continue
        point.update({base: _random_sequence(base, rank, rng, scale)
                      for base, rank in families.items()})
        values = {k: _exact(substitute_point(v, point)) for k, v in where.items()}
        if all(satisfies(values[k], k) for k in where):
            found += 1
            yield {**point, **values}


def _mp(limit):
    """An integral's limit as an mpmath number (infinite limits included)."""
    if limit in (sp.oo, -sp.oo):
        return mpmath.inf if limit == sp.oo else -mpmath.inf
    return mpmath.mpmathify(sp.N(limit, QUADRATURE_DIGITS))


def _breakpoints(body, low, high) -> list:
    """The interval split at the numbers in the integrand (a drawn mean, say).

    Tanh-sinh quadrature over an infinite range can step over a narrow peak
    far from 0 and return about 0 for both sides of a false identity; a
    breakpoint at the peak's centre makes it see the peak.
    """
    inside = sorted({float(n) for n in body.atoms(sp.Rational) if abs(n) < 1e6}
                    | ({-10.0, -1.0, 0.0, 1.0, 10.0} if low == -sp.oo and high == sp.oo else set()))
    inside = [x for x in inside if (low == -sp.oo or x > float(low)) and
              (high == sp.oo or x < float(high))][:16]
    return [_mp(low)] + [mpmath.mpf(x) for x in inside] + [_mp(high)]


def _quadrature(expr):
    """Each definite integral with numeric limits replaced by mpmath's quadrature of it.

    (SymPy's own evaluation of an integral is slower by an order of magnitude.)
    """
    def numeric(integral):
        if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
            return integral
        variable, low, high = integral.limits[0]
        body = integral.function
        if body.free_symbols - {variable} or not (low.is_number and high.is_number):
            return integral
        with mpmath.workdps(QUADRATURE_DIGITS):
            try:
                value = mpmath.quad(sp.lambdify(variable, body, "mpmath"),
                                    _breakpoints(body, low, high))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                return integral
            return sp.Float(value, DIGITS + 10) if mpmath.isfinite(value) else sp.nan
    if not expr.has(sp.Integral):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Integral), numeric)


def _unroll(expr):
    """Each sum with numeric, finite limits written out term by term (exact, and fast).

    A sum over several ranges (SymPy merges ``Sum(Sum(f, j), k)`` into one) is
    written out from its outermost range in, so inner limits may depend on
    outer indices.
    """
    def terms(body, limits):
        if not limits:
            return body
        variable, low, high = limits[-1]
        if not (low.is_Integer and high.is_Integer) or high - low > 10_000:
            return sp.Sum(body, *limits)
        return sp.Add(*[terms(body.xreplace({variable: sp.Integer(i)}),
                              [(v, a.xreplace({variable: sp.Integer(i)}),
                                b.xreplace({variable: sp.Integer(i)})) for v, a, b in limits[:-1]])
                        for i in range(int(low), int(high) + 1)])
    if not expr.has(sp.Sum):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Sum),
                        lambda e: terms(e.function, list(e.limits)))


def substitute_point(expr, point) -> sp.Expr:
    """``expr`` with the point's values put in: indexed entries first, then symbols."""
    expr = sp.sympify(expr)
    sequences = {k: v for k, v in point.items() if isinstance(v, sp.Lambda)}
    if sequences and expr.has(sp.Indexed):
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in sequences,
                            lambda e: sequences[e.base](*e.indices))
    if sequences and expr.atoms(AppliedUndef):
        expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func in sequences,
                            lambda e: sequences[e.func](*e.args))
        # f' of a random f: carry out the derivatives the substitution made concrete
        expr = expr.replace(lambda e: isinstance(e, (sp.Subs, sp.Derivative)),
                            lambda e: e.doit())
    return expr.xreplace({k: v for k, v in point.items() if not isinstance(v, sp.Lambda)})


def evaluate(expr, point) -> sp.Expr | None:
    """``expr`` (made ready by :func:`prepare`) at ``point`` to 50 significant digits.

    None where it is not a finite number (a pole, or SymPy cannot evaluate it).
    """
    at = _quadrature(_unroll(substitute_point(expr, point)))
    try:
        value = sp.N(at, DIGITS + 10)
    except Exception:
        return None
    if value.free_symbols or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    if not value.is_number or value.atoms(sp.Function, sp.Integral, sp.Sum):
        return None
    return value


def _describe(point) -> str:
    return ", ".join(f"{sp.sstr(k)} = {sp.sstr(v)}" for k, v in
                     sorted(point.items(), key=lambda kv: sp.default_sort_key(kv[0])))


def disagreement(lhs, rhs, point):
    """None if ``lhs`` and ``rhs`` agree at ``point``, else a sentence saying by how much.

    Returns ``"unevaluable"`` when either side is not a finite number there.
    """
    left, right = evaluate(lhs, point), evaluate(rhs, point)
    if left is None or right is None:
        return "unevaluable"
    size = max(abs(left), abs(right), sp.Integer(1))
    if abs(left - right) <= AGREE * size:
        return None
    return (f"at {_describe(point)} the left side is {sp.N(left, 12)} and the right side "
            f"{sp.N(right, 12)} (they differ by {sp.N(abs(left - right), 3)})")


def symbols_of(*exprs) -> set:
    """Free symbols of ``exprs``, with the applications of undefined functions."""
    exprs = [sp.sympify(e) for e in exprs]
    return set().union(*[e.free_symbols | e.atoms(AppliedUndef) for e in exprs])


def _require_points(n) -> None:
    """``n`` points must be a whole number >= 1: no point at all would check nothing."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of points >= 1, got {n!r}")


def agree_at_points(lhs, rhs, where=None, *, n: int = 3, seed: int = 0):
    """Check ``lhs == rhs`` exactly at ``n`` random points.

    Returns ``(agreed, counterexample)``: the number of points where both sides
    were evaluated and agreed, and the first disagreement found (a sentence) or
    None.  Points where a side is not finite (a pole) are skipped and redrawn.
    """
    _require_points(n)
    where = validate_where(where)
    lhs, rhs = prepare(sp.sympify(lhs).subs(where)), prepare(sp.sympify(rhs).subs(where))
    symbols = symbols_of(lhs, rhs)
    agreed = 0
    for point in random_points(symbols, where, 4 * n + 8, seed):
        verdict = disagreement(lhs, rhs, point)
        if verdict == "unevaluable":
            continue
        if verdict is not None:
            return agreed, verdict
        agreed += 1
        if agreed == n:
            break
    return agreed, None


def sign_at_points(expr, where=None, *, strict: bool = False, n: int = 3, seed: int = 0):
    """The first point where ``expr`` is negative (or zero, if ``strict``), or None.

    A value of at least ``-AGREE`` counts as >= 0 (rounding at 50 digits); with ``strict`` it
    must be > 0 exactly.  Points where ``expr`` is not a finite real number are skipped.
    """
    _require_points(n)
    where = validate_where(where)
    expr = prepare(sp.sympify(expr).subs(where))
    for point in random_points(symbols_of(expr), where, n, seed):
        value = evaluate(expr, point)
        if value is None or not value.is_real:
            continue
        if value < -AGREE or (strict and value <= 0):
            return f"at {_describe(point)} it is {sp.N(value, 6)}"
    return None
