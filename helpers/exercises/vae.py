"""Exercises of the chapter on variational autoencoders (``book/vae.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

m = sp.Symbol("m", real=True)
s = sp.Symbol("s", positive=True)
m1, m2, rho1, rho2 = sp.symbols("m_1 m_2 rho_1 rho_2", real=True)   # rho_j = log s_j^2
# The linear beta-VAE along one direction, with the chapter's names.
w = sp.Symbol("w", real=True)
lam, beta, sigsq = sp.symbols("lambda beta sigma^2", positive=True)

EXERCISES = [
    Exercise("vae-1", "vae.md",
             "the reparameterised derivatives of E_q[z^2] for q = N(m, s^2): "
             "d/dm, then d/ds",
             (m, s), (2 * m, 2 * s)),
    Exercise("vae-2", "vae.md",
             "KL(N(m, diag(exp(rho_1), exp(rho_2))) || N(0, I)) for d = 2, in the means "
             "and the log-variances rho_j = log s_j^2",
             (m1, m2, rho1, rho2),
             sum(mj**2 + sp.exp(rj) - 1 - rj for mj, rj in ((m1, rho1), (m2, rho2))) / 2),
    Exercise("vae-3", "vae.md",
             "the encoder variance s^2 that maximises F_beta for a fixed decoder weight w",
             (w, beta, sigsq), beta * sigsq / (w**2 + beta * sigsq)),
    Exercise("vae-4", "vae.md",
             "the smallest beta at which a direction with eigenvalue lambda collapses",
             (lam, sigsq), lam / sigsq),
]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "vae-1": [(2 * m, 2 * m),            # E[f'(m + s eps)] for s too: the factor eps lost
              (2 * m, 1),                # the derivative in the variance s^2, not in s
              (2 * m, 2 * s**2)],
    "vae-2": [sum(mj**2 + sp.exp(rj) - 1 - rj for mj, rj in ((m1, rho1), (m2, rho2))),
              sum(mj**2 + sp.exp(rj) - 1 + rj
                  for mj, rj in ((m1, rho1), (m2, rho2))) / 2,      # sign of log s^2
              sum(mj**2 + sp.exp(2 * rj) - 1 - 2 * rj
                  for mj, rj in ((m1, rho1), (m2, rho2))) / 2],     # rho read as log s
    "vae-3": [sigsq / (w**2 + sigsq),              # beta forgotten (right only at beta = 1)
              beta * sigsq / w**2,                 # the prior's pull on s^2 dropped
              1 / (w**2 + beta * sigsq)],
    "vae-4": [sigsq / lam,                         # the ratio upside down
              lam - sigsq,                         # the squared weight at beta = 1
              lam / (2 * sigsq)],
}
