"""Exercises of the chapter on EM as coordinate ascent on the ELBO (``book/em.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

x = sp.Symbol("x", real=True)
mu_1, mu_2 = sp.symbols("mu_1 mu_2", real=True)
var_1, var_2 = sp.symbols("sigma_1^2 sigma_2^2", positive=True)
pi_1, pi_2 = sp.symbols("pi_1 pi_2", positive=True)
x_1, x_2, x_3 = sp.symbols("x_1:4", real=True)
q_11, q_21, q_31 = sp.symbols("q_11 q_21 q_31", positive=True)     # q_n1, component 1
q_12, q_22, q_32 = sp.symbols("q_12 q_22 q_32", positive=True)     # q_n2 = 1 - q_n1
r = sp.Symbol("r", positive=True)                                    # q_n(z_n = 1)
q_n2 = sp.Symbol("q_n2", positive=True)                              # 1 - r
f_1, f_2 = sp.symbols("f_1 f_2", positive=True)        # f_k = pi_k N(x_n; mu_k, sigma_k^2)


def _normal(value, mean, variance):
    return sp.exp(-(value - mean) ** 2 / (2 * variance)) / sp.sqrt(2 * sp.pi * variance)


_joint_1, _joint_2 = pi_1 * _normal(x, mu_1, var_1), pi_2 * _normal(x, mu_2, var_2)
# The odds q_n1 / q_n2 = f_1 / f_2 written out; the responsibility is odds / (1 + odds),
# which is _joint_1 / (_joint_1 + _joint_2).
_odds = (pi_1 / pi_2 * sp.sqrt(var_2 / var_1)
         * sp.exp((x - mu_2) ** 2 / (2 * var_2) - (x - mu_1) ** 2 / (2 * var_1)))
_N_1 = q_11 + q_21 + q_31
_posterior_1, _posterior_2 = f_1 / (f_1 + f_2), f_2 / (f_1 + f_2)

EXERCISES = [
    Exercise("em-1", "em.md",
             "the responsibility of component 1 for a point x, two 1-D Gaussian components "
             "with weights pi_1 and pi_2 = 1 - pi_1",
             (x, mu_1, mu_2, var_1, var_2, pi_1, pi_2), _odds / (1 + _odds),
             where={pi_2: 1 - pi_1}),
    Exercise("em-2", "em.md",
             "the M-step's weight pi_1 and mean mu_1 of component 1, from its "
             "responsibilities q_11, q_21, q_31 for three points x_1, x_2, x_3",
             (x_1, x_2, x_3, q_11, q_21, q_31),
             (_N_1 / 3, (q_11 * x_1 + q_21 * x_2 + q_31 * x_3) / _N_1),
             where={q_12: 1 - q_11, q_22: 1 - q_21, q_32: 1 - q_31}),
    Exercise("em-3", "em.md",
             "the gap log p(x_n) - ELBO of one point with two components, for q_n = (r, 1 - r) "
             "and joint probabilities f_1, f_2",
             (r, f_1, f_2),
             r * sp.log(r / _posterior_1) + (1 - r) * sp.log((1 - r) / _posterior_2),
             where={q_n2: 1 - r}),
]


#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    # the normalising constants 1/sqrt(2 pi sigma_k^2) dropped; the weights forgotten;
    # the odds of component 1 against component 2 instead of its probability
    "em-1": [pi_1 * sp.exp(-(x - mu_1) ** 2 / (2 * var_1))
             / (pi_1 * sp.exp(-(x - mu_1) ** 2 / (2 * var_1))
                + pi_2 * sp.exp(-(x - mu_2) ** 2 / (2 * var_2))),
             _normal(x, mu_1, var_1) / (_normal(x, mu_1, var_1) + _normal(x, mu_2, var_2)),
             _joint_1 / _joint_2],
    # the total responsibility N_1 not divided by N; the mean not weighted; the weighted
    # sum divided by N instead of N_1
    "em-2": [(_N_1, (q_11 * x_1 + q_21 * x_2 + q_31 * x_3) / _N_1),
             (_N_1 / 3, (x_1 + x_2 + x_3) / 3),
             (_N_1 / 3, (q_11 * x_1 + q_21 * x_2 + q_31 * x_3) / 3)],
    # the divergence with its arguments swapped; the ELBO itself; the entropy of q left out
    "em-3": [_posterior_1 * sp.log(_posterior_1 / r)
             + _posterior_2 * sp.log(_posterior_2 / (1 - r)),
             r * sp.log(f_1 / r) + (1 - r) * sp.log(f_2 / (1 - r)),
             r * sp.log(1 / _posterior_1) + (1 - r) * sp.log(1 / _posterior_2)],
}
