"""Exercises of the chapter on the gap between the ELBO and the evidence (``book/gap-kl.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

m1, m2 = sp.symbols("m_1 m_2", real=True)
s1, s2 = sp.symbols("s_1 s_2", positive=True)
# The conjugate Gaussian model: z ~ N(mu_0, s_0^2), x | z ~ N(z, sigma^2), and a fixed
# variance v_0 of q.
x, mu0 = sp.symbols("x mu_0", real=True)
s0sq, sigsq, v0 = sp.symbols("s_0^2 sigma^2 v_0", positive=True)
_post_var = s0sq * sigsq / (s0sq + sigsq)               # 1/v~ = 1/s_0^2 + 1/sigma^2
_post_mean = _post_var * (mu0 / s0sq + x / sigsq)


def _kl_normal(mean_q, var_q, mean_p, var_p):
    """KL(N(mean_q, var_q) || N(mean_p, var_p)), written out."""
    return (var_q / var_p - 1 - sp.log(var_q / var_p) + (mean_q - mean_p) ** 2 / var_p) / 2


_ratio = s0sq / sigsq                    # the prior's variance over the noise variance
_gap_prior = (_ratio - sp.log((s0sq + sigsq) / sigsq)
              + s0sq * (x - mu0) ** 2 / (sigsq * (s0sq + sigsq))) / 2

EXERCISES = [
    Exercise("gap-kl-1", "gap-kl.md",
             "KL(N(m_1, s_1^2) || N(m_2, s_2^2)) in closed form",
             (m1, s1, m2, s2),
             sp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)),
    Exercise("gap-kl-2", "gap-kl.md",
             "the E-step over q = N(m, v_0) with v_0 fixed: the best mean m and the gap "
             "log p(x) - ELBO that remains there",
             (x, mu0, s0sq, sigsq, v0),
             (_post_mean, (v0 / _post_var - 1 - sp.log(v0 / _post_var)) / 2)),
    Exercise("gap-kl-3", "gap-kl.md",
             "the gap log p(x) - ELBO(q) of the conjugate Gaussian model when q is the prior",
             (x, mu0, s0sq, sigsq), _gap_prior),
]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "gap-kl-1": [sp.log(s1 / s2) + (s2**2 + (m1 - m2) ** 2) / (2 * s1**2)
                 - sp.Rational(1, 2),                                  # arguments swapped
                 sp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / s2**2
                 - sp.Rational(1, 2),                                  # the 1/2 missing
                 sp.log(s1 / s2) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2)
                 - sp.Rational(1, 2)],                                 # sign of the log
    "gap-kl-2": [(_post_mean, 0),                              # the gap taken as closed
                 (_post_mean, (_post_var / v0 - 1 - sp.log(_post_var / v0)) / 2),  # reversed
                 (_post_mean, v0 / _post_var - 1 - sp.log(v0 / _post_var)),  # 1/2 missing
                 (x, (v0 / _post_var - 1 - sp.log(v0 / _post_var)) / 2)],    # m at x
    "gap-kl-3": [0,                                           # seed 004: q = p closes it
                 _kl_normal(_post_mean, _post_var, mu0, s0sq),        # KL(posterior || prior)
                 (_ratio - sp.log(1 + _ratio)) / 2],                  # the mean term dropped
}
