"""Exercises of the chapter on the Ising model and variational free energy (``book/ising.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

beta = sp.Symbol("beta", positive=True)
J, h = sp.symbols("J h", real=True)
J_ferro, c = sp.symbols("J c", positive=True)          # a ferromagnet, c neighbours
m = sp.Symbol("m", real=True)
t = sp.Symbol("t", positive=True)
#: A magnetisation lies in (-1, 1): points are drawn as m = (1 - t)/(1 + t), t > 0.
IN_UNIT_INTERVAL = {m: (1 - t) / (1 + t)}


def binary_entropy(mi):
    """H_b(m), the entropy of q(s) = (1 + m s)/2 on s = +1, -1."""
    return -sum((1 + s * mi) / 2 * sp.log((1 + s * mi) / 2) for s in (1, -1))


EXERCISES = [
    Exercise("ising-1", "ising.md",
             "the variational free energy -ELBO/beta of one spin in a field h, "
             "for q with magnetisation m",
             (m, beta, h), -h * m - binary_entropy(m) / beta, where=IN_UNIT_INTERVAL),
    Exercise("ising-2", "ising.md",
             "the magnetisation m* minimising the free energy of one spin in a field, "
             "and the minimum",
             (beta, h),     # the minimum is -T log(2 cosh beta h), written with exponentials
             (sp.tanh(beta * h), -sp.log(sp.exp(beta * h) + sp.exp(-beta * h)) / beta)),
    Exercise("ising-3", "ising.md",
             "the slope at m = 0 of tanh(beta c J m), and the mean-field critical "
             "temperature T_c^MF at which it is one",
             (beta, c, J_ferro), (beta * c * J_ferro, c * J_ferro)),
    Exercise("ising-4", "ising.md",
             "the partition function Z of two spins joined by one bond, in a field h",
             (beta, J, h),
             sp.exp(beta * (J + 2 * h)) + sp.exp(beta * (J - 2 * h)) + 2 * sp.exp(-beta * J)),
]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "ising-1": [-h * m + binary_entropy(m) / beta,         # the entropy's sign
                -beta * h * m - binary_entropy(m),          # -ELBO, not -ELBO / beta
                -h * m - binary_entropy(m)],                 # the temperature dropped
    "ising-2": [(sp.tanh(h), -sp.log(2 * sp.cosh(beta * h)) / beta),
                (sp.tanh(beta * h), -sp.log(2 * sp.cosh(beta * h))),
                (sp.tanh(beta * h), -sp.log(sp.cosh(beta * h)) / beta)],
    "ising-3": [(beta * c * J_ferro, 1 / (c * J_ferro)),   # beta_c, not T_c
                (beta * J_ferro, J_ferro),                  # the c neighbours forgotten
                (c * J_ferro, c * J_ferro)],
    "ising-4": [sp.exp(beta * (J + 2 * h)) + sp.exp(beta * (J - 2 * h)) + sp.exp(-beta * J),
                sp.exp(beta * (J + h)) + sp.exp(beta * (J - h)) + 2 * sp.exp(-beta * J),
                sp.exp(-beta * (J + 2 * h)) + sp.exp(-beta * (J - 2 * h))
                + 2 * sp.exp(beta * J)],
}
