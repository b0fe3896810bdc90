"""Exercises of the chapter on the evidence lower bound (``book/elbo.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

# The chapter's conjugate Gaussian model: z ~ N(mu_0, s_0^2), x | z ~ N(z, sigma^2),
# and q = N(m, v); the same names and assumptions as in the chapter.
x, mu0, m = sp.symbols("x mu_0 m", real=True)
s0sq, sigsq, v = sp.symbols("s_0^2 sigma^2 v", positive=True)


def _log_normal(point, mean, var):
    return -sp.log(2 * sp.pi * var) / 2 - (point - mean) ** 2 / (2 * var)


EXERCISES = [
    Exercise("elbo-1", "elbo.md",
             "the entropy H[q] = -E_q[log q(z)] of q = N(m, v)",
             (m, v), sp.log(2 * sp.pi * sp.E * v) / 2),
    Exercise("elbo-2", "elbo.md",
             "the ELBO of the conjugate Gaussian model when q is the prior N(mu_0, s_0^2)",
             (x, mu0, s0sq, sigsq), _log_normal(x, mu0, sigsq) - s0sq / (2 * sigsq)),
    Exercise("elbo-3", "elbo.md",
             "the variance v of q = N(m, v) that maximises the closed-form ELBO for fixed m",
             (x, mu0, m, s0sq, sigsq), s0sq * sigsq / (s0sq + sigsq)),
]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "elbo-1": [sp.log(2 * sp.pi * sp.E * v),                 # the factor 1/2 forgotten
               sp.log(2 * sp.pi * v) / 2,                    # E_q[(z - m)^2] / (2v) dropped
               -sp.log(2 * sp.pi * sp.E * v) / 2],           # the sign of H = -E_q[log q]
    "elbo-2": [_log_normal(x, mu0, sigsq),                   # the spread of q forgotten
               _log_normal(x, mu0, s0sq + sigsq),            # the bound taken as tight
               _log_normal(x, mu0, sigsq) + s0sq / (2 * sigsq)],   # sign error
    "elbo-3": [s0sq + sigsq,                                 # the evidence's variance
               2 * s0sq * sigsq / (s0sq + sigsq),            # d/dv of log v / 2 taken as 1/v
               sigsq],                                       # the prior's term forgotten
}
