"""Exercises of the chapter on variational Bayes and model evidence (``book/vb.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

n = sp.Symbol("n", integer=True, positive=True)
d = sp.Symbol("d", integer=True, positive=True)
a_0, b_0, b_n, a_n = sp.symbols("a_0 b_0 b_n a_n", positive=True)
lambda_n, s2 = sp.symbols("lambda_n s^2", positive=True)
m_n, mu = sp.symbols("m_n mu", real=True)

_log_evidence_d0 = (-n / 2 * sp.log(2 * sp.pi) + a_0 * sp.log(b_0)
                    - (a_0 + n / 2) * sp.log(b_n) + sp.loggamma(a_0 + n / 2) - sp.loggamma(a_0))

EXERCISES = [
    Exercise("vb-1", "vb.md",
             "the shape and rate of the CAVI update q*(tau) for one weight (d = 1), "
             "with q(w) = N(mu, s^2)",
             (a_0, n, b_n, lambda_n, m_n, mu, s2),
             (a_0 + (n + 1) / 2, b_n + lambda_n * ((mu - m_n) ** 2 + s2) / 2)),
    Exercise("vb-2", "vb.md",
             "the rate of q(tau) at CAVI's fixed point, in a_n, b_n and d",
             (a_n, b_n, d), b_n * (a_n + d / 2) / a_n),
    Exercise("vb-3", "vb.md",
             "the ELBO at q(tau) = Gamma(a_n, b_n) of the model without weights (d = 0), "
             "in n, a_0, b_0 and b_n",
             (n, a_0, b_0, b_n), _log_evidence_d0),
]

_ell = sp.polygamma(0, a_0 + n / 2) - sp.log(b_n)               # E_q[log tau]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    # the shape a_n = a_0 + n/2 of the exact posterior (the prior's d/2 forgotten); the
    # variance s^2 of q(w) left out of the rate; the rate without its factor 1/2
    "vb-1": [(a_0 + n / 2, b_n + lambda_n * ((mu - m_n) ** 2 + s2) / 2),
             (a_0 + (n + 1) / 2, b_n + lambda_n * (mu - m_n) ** 2 / 2),
             (a_0 + (n + 1) / 2, b_n + lambda_n * ((mu - m_n) ** 2 + s2))],
    # the exact posterior's rate; the ratio turned over; d in place of d/2
    "vb-2": [b_n, b_n * a_n / (a_n + d / 2), b_n * (a_n + d) / a_n],
    # the expected log-joint without the entropy of q; the sign of the b terms flipped;
    # the -n/2 log 2 pi of the likelihood dropped
    "vb-3": [(a_0 + n / 2 - 1) * _ell - (a_0 + n / 2) - n / 2 * sp.log(2 * sp.pi)
             + a_0 * sp.log(b_0) - sp.loggamma(a_0),
             _log_evidence_d0 - 2 * a_0 * sp.log(b_0) + 2 * (a_0 + n / 2) * sp.log(b_n),
             _log_evidence_d0 + n / 2 * sp.log(2 * sp.pi)],
}
