"""Whether a hand-written display (``tex=``) shows the expression that was checked.

A derivation may display a formula written by hand (``tex=``) instead of
SymPy's rendering of the checked expression.  The display is trusted only when
it provably shows the same expression: either it is SymPy's own LaTeX, or
SymPy's LaTeX parser reads it back into an expression whose symbols are the
checked expression's and which agrees with it exactly at random points.  A
display that parses to a *different* expression is refused; one that cannot be
parsed (general sums over ``k``, the book's macros, any command outside a small
set the parser reads faithfully) is shown together with the checked SymPy form,
and the check counts as ``stand-in``, not ``proof``.
"""

from __future__ import annotations

import functools
import re

import sympy as sp
from sympy.core.function import AppliedUndef

from helpers.verify import proof_cache
from helpers.verify.points import agree_at_points

MATCHES, UNREAD = "matches", "unread"


#: The only LaTeX commands a display may use to be read back: SymPy's parser skips
#: or misreads others (it reads ``\\beta J \\sum_{i} m_i`` as ``J*beta``).
_READABLE = {
    "frac", "sqrt", "log", "ln", "exp", "sin", "cos", "tan", "left", "right", "cdot",
    "times", "pi", ",", ";", "!", "quad", "qquad",
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
    "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
    "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def readable(tex: str) -> bool:
    """Whether ``tex`` uses only commands the parser reads faithfully (``\\frac`` with braces)."""
    if re.search(r"\\frac\s*[^\s{]", tex):
        return False                 # \frac12: the parser reads it wrongly
    if re.search(r"\\[A-Za-z]+\s*'", tex):
        return False                 # \theta': the parser drops the prime and reads theta
    return all(command in _READABLE for command in _COMMAND.findall(tex))


@functools.lru_cache(maxsize=4096)
def _parse(tex: str):
    """SymPy's reading of ``tex`` (its ANTLR LaTeX parser), or None if it cannot read it."""
    if not readable(tex):
        return None
    try:
        from sympy.parsing.latex import parse_latex
        # The lenient reading silently drops a tail it cannot read ("x + 1) + 5" reads as
        # x + 1): the strict one must accept the whole display first.
        parse_latex(tex, strict=True)
        return parse_latex(tex)
    except Exception:          # any parse failure: the display cannot be read back
        return None


def compare(tex: str, expr, *, abbreviate=None) -> tuple[str, str | None]:
    """``(MATCHES, None)``, ``(UNREAD, None)``, or ``("differs", why)``.

    ``abbreviate`` maps display symbols to the expressions they stand for.
    """
    return _compare(tex, sp.sympify(expr), dict(abbreviate or {}))


@proof_cache.remembered("tex", keep=lambda verdict: verdict[0] != "differs")
def _compare(tex: str, expr, abbreviate: dict) -> tuple[str, str | None]:
    if tex.strip() == sp.latex(expr):
        return MATCHES, None
    parsed = _parse(tex)
    if parsed is None or not isinstance(parsed, sp.Expr):
        return UNREAD, None
    by_name = {}
    for symbol in expr.free_symbols | set(abbreviate):
        by_name.setdefault(symbol.name, symbol)
        by_name.setdefault(sp.latex(symbol), symbol)
    rename = {}
    for symbol in parsed.free_symbols:
        if symbol.name not in by_name:
            return UNREAD, None      # a symbol the check does not know: cannot compare
        rename[symbol] = by_name[symbol.name]
    known = {f.func.__name__ for f in expr.atoms(AppliedUndef)}
    if any(f.func.__name__ not in known for f in parsed.atoms(AppliedUndef)):
        return UNREAD, None          # a name for the expression, such as b(a, c)
    shown = parsed.xreplace(rename).subs(abbreviate)
    if shown.free_symbols - expr.free_symbols:
        return UNREAD, None
    try:
        agreed, counter = agree_at_points(shown, expr, n=3, seed=7)
    except ValueError:
        return UNREAD, None
    if counter is not None:
        return "differs", f"the display ${tex}$ reads as {sp.sstr(shown)}, but the check is on " \
                          f"{sp.sstr(expr)}: {counter}"
    # Agreement at points is evidence, not a proof that the display is the expression:
    # a term that is tiny at every drawn point would pass.  SymPy must prove it too.
    from helpers.verify.symbolic import prove_zero
    if not agreed or prove_zero(shown - expr) is None:
        return UNREAD, None
    return MATCHES, None
