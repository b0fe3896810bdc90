"""Exact stand-ins with finitely many states.

An identity about expectations is proven on a random variable with ``K``
states: its probabilities are SymPy symbols, so every sum is exact.  The
constraint that they sum to one is a substitution for the last one, which
:class:`helpers.verify.Derivation` applies (its ``where=``).  For numeric
checks, random distributions come as NumPy arrays or as exact rationals.

For a proof about *every* number of states, :func:`state_sum` and
:func:`indexed_weights` give sums ``sum_{k=1}^K`` over a symbolic ``K``: the
weights are an ``IndexedBase`` of positive numbers and their total is a symbol
that ``where=`` defines as their sum, so the distribution is ``weights[k] /
total`` (every distribution on ``K`` states with no zero probability is of
this form).  Write every indexed quantity with the one index :data:`k`: the
verifier's exact-point check gives each indexed symbol (``w[k]``, ``w[j]``)
its own value, so mixing indices would make a true identity fail there.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from helpers.validation import count, generator, positive, real_scalar


#: The state index and the symbolic number of states of the general stand-in.
k = sp.Symbol("k", integer=True, positive=True)
K = sp.Symbol("K", integer=True, positive=True)


def state_sum(expr) -> sp.Sum:
    """``sum_{k=1}^K expr`` over the symbolic number of states ``K``."""
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression, got {type(expr).__name__}")
    return sp.Sum(expr, (k, 1, K))


def indexed_weights(name: str, total: str) -> tuple[sp.IndexedBase, sp.Symbol, dict]:
    """Positive weights ``name[k]``, ``k = 1..K``, their total, and its definition.

    Returns ``(weights, total, where)`` with ``where = {total: sum_k weights[k]}``;
    ``weights[k] / total`` is then a general distribution on ``K`` states.
    """
    if not (isinstance(name, str) and name and isinstance(total, str) and total):
        raise ValueError(f"name and total must be non-empty strings, got {name!r}, {total!r}")
    if name == total:
        raise ValueError(f"the weights and their total need different names, got {name!r}")
    weights = sp.IndexedBase(name, positive=True)
    symbol = sp.Symbol(total, positive=True)
    return weights, symbol, {symbol: state_sum(weights[k])}


def _check_states(K: int) -> None:
    count("K", K, minimum=2)


def probability_symbols(name: str, K: int) -> tuple[tuple[sp.Symbol, ...], dict]:
    """Symbols ``name1..nameK`` (positive) and the constraint that they sum to one.

    Returns ``(symbols, where)`` with ``where = {nameK: 1 - name1 - ... - name(K-1)}``.
    """
    _check_states(K)
    symbols = sp.symbols(f"{name}1:{K + 1}", positive=True)
    return symbols, {symbols[-1]: 1 - sum(symbols[:-1])}


def random_distributions(rng: np.random.Generator, n: int, K: int,
                         concentration: float = 1.0) -> np.ndarray:
    """``n`` probability vectors on ``K`` states, shape ``(n, K)``, from a Dirichlet.

    With ``concentration = 1`` they are uniform on the simplex; smaller values
    put more mass near its corners (nearly deterministic distributions).
    """
    generator("rng", rng)
    _check_states(K)
    n = count("n", n)
    concentration = float(positive("concentration", real_scalar("concentration",
                                                                  concentration)))
    return rng.dirichlet(np.full(K, concentration), size=n)


def random_rational_distribution(rng: np.random.Generator, K: int,
                                 denominator: int = 10**6) -> list[sp.Rational]:
    """``K`` positive rationals that sum to exactly one (for exact evaluation)."""
    generator("rng", rng)
    _check_states(K)
    count("denominator", denominator, minimum=K)
    # K - 1 distinct cut points in 1..denominator-1 split [0, 1] into K positive parts.
    cuts = np.sort(rng.choice(np.arange(1, denominator), size=K - 1, replace=False))
    edges = [0, *map(int, cuts), denominator]
    return [sp.Rational(b - a, denominator) for a, b in zip(edges[:-1], edges[1:])]


def kl_exact(q, p) -> sp.Expr:
    """KL(q || p) = sum_k q_k log(q_k / p_k) for two sequences of SymPy probabilities.

    The first argument is the distribution the expectation is taken under
    (book: the definition ``def-kl`` in the chapter on the gap).
    """
    q, p = _symbolic_probabilities("q", q), _symbolic_probabilities("p", p)
    if len(q) != len(p):
        raise ValueError(f"q and p must have the same positive length, got {len(q)} and "
                         f"{len(p)}")
    return sum(qk * sp.log(qk / pk) for qk, pk in zip(q, p))


def _symbolic_probabilities(name, values) -> list:
    """``values`` as a non-empty list of SymPy expressions; a number must lie in [0, 1]."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of probabilities, got {values!r}")
    items = [sp.sympify(v) if not isinstance(v, str) else v for v in values]
    if not items:
        raise ValueError(f"{name} must hold at least one probability")
    for item in items:
        if isinstance(item, str) or not isinstance(item, sp.Basic):
            raise TypeError(f"{name} must hold numbers or SymPy expressions, got {item!r}")
        if item.is_number and not (item.is_finite and 0 <= item <= 1):
            raise ValueError(f"{name} must hold probabilities in [0, 1], got {item}")
    return items
