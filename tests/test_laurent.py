"""helpers.laurent: the very expression sympy.expand gives, or a clear refusal."""

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.laurent import expand_laurent


def _laurent_cases():
    x, y = sp.symbols("x y", real=True)
    l, t = sp.symbols("l t", positive=True)
    a = sp.Symbol("a", positive=True)
    M = sp.Matrix([[l, 0], [y, t]])
    v = sp.Matrix([x - 1, y / l + sp.Rational(3, 2)])
    return [
        (x + y) ** 3 * (x - 2 * y) / l**2,
        (v.T * M * M.T * v)[0] - x**2 * l**2,
        (M.inv() * v)[0] ** 2 * (l + t) - sp.Rational(1, 3) * y / t,
        sp.Rational(5, 2) * sp.log(t) * (x + 1) - t / 2 * (x - y) ** 2
        + sp.log(2 * sp.pi) * (a - 1) + sp.log(l**2 * t**2) / 2 - sp.loggamma(a),
        (a + sp.Rational(3, 2)) * sp.log(x**2 + l) - a * sp.log(x**2 + l) + sp.pi * x,
        x * (1 / x - y) + 1 / l * l - 1,
        sp.Integer(0),
    ]


@pytest.mark.parametrize("case", range(len(_laurent_cases())))
def test_expand_laurent_is_sympy_expand(case):
    expr = _laurent_cases()[case]
    assert sp.srepr(expand_laurent(expr)) == sp.srepr(sp.expand(expr))


def test_expand_laurent_refuses_what_it_cannot_expand():
    x, y = sp.symbols("x y", real=True)
    for expr in (1 / (x + y), sp.sqrt(x + y) * x, 0.5 * x):
        with pytest.raises(ValueError):
            expand_laurent(expr)


_X, _Y = sp.symbols("x y", real=True)
_L = sp.Symbol("l", positive=True)
_LEAVES = [_X, _Y, _L, 1 / _L, sp.Rational(3, 2), sp.Integer(-2), sp.log(_L)]
_expressions = st.recursive(
    st.sampled_from(_LEAVES),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda ab: ab[0] + ab[1]),
        st.tuples(inner, inner).map(lambda ab: ab[0] * ab[1]),
        st.tuples(inner, st.integers(1, 3)).map(lambda ab: ab[0] ** ab[1])),
    max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(_expressions)
def test_expand_laurent_agrees_with_sympy_on_random_polynomials(expr):
    assert sp.srepr(expand_laurent(expr)) == sp.srepr(sp.expand(expr))


def test_negative_powers_of_constants_and_function_atoms():
    # 1/pi (a number symbol) and 1/log(l) (a function atom) are atoms of a Laurent polynomial
    for expr in (_X / sp.pi + 1, (1 / sp.log(_L) + _X) ** 2, sp.E ** -2 * _Y):
        assert sp.srepr(expand_laurent(expr)) == sp.srepr(sp.expand(expr))


def test_a_non_sympy_argument_is_refused():
    with pytest.raises(TypeError, match="expr must be a SymPy expression"):
        expand_laurent("x + 1")
