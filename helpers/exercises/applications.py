"""Exercises of the chapter on free energy and coding (``book/applications.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

p1, p2 = sp.symbols("p_1 p_2", positive=True)
phi, u, v_p = sp.symbols("phi u v_p", real=True)
s, Sigma_p, Sigma_u = sp.symbols("s Sigma_p Sigma_u", positive=True)

#: The chapter's discrete example: x = 1, p(z) = (0.2, 0.5, 0.3), p(x = 1 | z) =
#: (0.9, 0.4, 0.5) and the code's q(z) = (0.5, 0.3, 0.2).
_JOINT = [sp.Rational(2, 10) * sp.Rational(9, 10), sp.Rational(5, 10) * sp.Rational(4, 10),
          sp.Rational(3, 10) * sp.Rational(5, 10)]
_Q = [sp.Rational(5, 10), sp.Rational(3, 10), sp.Rational(2, 10)]
NET_BITS = sum(qz * sp.log(qz / pz) for qz, pz in zip(_Q, _JOINT)) / sp.log(2)


def perception_free_energy(phi, s, u, v_p, Sigma_p, Sigma_u):
    """F(phi, s) of the perception model for q = N(phi, s^2)."""
    return (sp.log(2 * sp.pi * Sigma_p) / 2 + ((phi - v_p) ** 2 + s**2) / (2 * Sigma_p)
            + sp.log(2 * sp.pi * Sigma_u) / 2
            + (u**2 - 2 * u * (phi**2 + s**2) + phi**4 + 6 * phi**2 * s**2 + 3 * s**4)
            / (2 * Sigma_u)
            - sp.log(2 * sp.pi * sp.E * s**2) / 2)


EXERCISES = [
    Exercise("applications-1", "applications.md",
             "for a latent with two states, p(u, v = 1) = p_1 and p(u, v = 2) = p_2: the "
             "q(v = 1) minimising the free energy, and the minimum",
             (p1, p2), (p1 / (p1 + p2), -sp.log(p1 + p2))),
    Exercise("applications-2", "applications.md",
             "the expected net bits-back code length, in bits, of the chapter's "
             "discrete example",
             (), NET_BITS, rtol=1e-4),
    Exercise("applications-3", "applications.md",
             "the free energy F(phi, s) of the perception model for q = N(phi, s^2)",
             (phi, s, u, v_p, Sigma_p, Sigma_u),
             perception_free_energy(phi, s, u, v_p, Sigma_p, Sigma_u)),
]

_F = perception_free_energy(phi, s, u, v_p, Sigma_p, Sigma_u)
#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "applications-1": [(p1 / (p1 + p2), sp.log(p1 + p2)),          # the sign
                       (p2 / (p1 + p2), -sp.log(p1 + p2)),          # the states swapped
                       (p1 / (p1 + p2), -sp.log(p1) - sp.log(p2))],
    "applications-2": [sp.N(NET_BITS * sp.log(2), 12),              # in nats
                       0.9159357352,                                # the ideal length
                       2.4809371415],                               # no bits back
    "applications-3": [_F - (4 * phi**2 * s**2 + 2 * s**4) / (2 * Sigma_u),  # E[v^4] wrong
                       _F + sp.log(2 * sp.pi * sp.E * s**2),         # the entropy's sign
                       _F - s**2 / (2 * Sigma_p)],                   # the prior's s^2 lost
}
