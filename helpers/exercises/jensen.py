"""Exercises of the chapter on concavity and Jensen's inequality (``book/jensen.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

x = sp.Symbol("x", positive=True)
mu, v = sp.symbols("mu v", positive=True)
m = sp.Symbol("m", real=True)
s = sp.Symbol("s", positive=True)

EXERCISES = [
    Exercise("jensen-1", "jensen.md",
             "the second derivative of log x (it is negative, so log is concave)",
             (x,), -1 / x**2),
    Exercise("jensen-2", "jensen.md",
             "the second-order approximation of the Jensen gap log E[X] - E[log X] "
             "for X with mean mu and variance v",
             (mu, v), v / (2 * mu**2)),
    Exercise("jensen-3", "jensen.md",
             "the Jensen gap E[exp Z] - exp(E[Z]) of the convex exp, for Z ~ N(m, s^2)",
             (m, s), sp.exp(m + s**2 / 2) - sp.exp(m)),
]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "jensen-1": [1 / x**2, -1 / x],
    "jensen-2": [v / mu**2, v / (2 * mu)],
    "jensen-3": [sp.exp(m + s**2) - sp.exp(m), sp.exp(m) - sp.exp(m + s**2 / 2)],
}
