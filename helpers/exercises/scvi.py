"""Exercises of the chapter on single-cell counts and the ZINB likelihood (``book/scvi.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

mu, theta, pi = sp.symbols("mu theta pi", positive=True)
x = sp.Symbol("x", integer=True, nonnegative=True)
m, mu_ell = sp.symbols("m mu_ell", real=True)
s, sigma_ell = sp.symbols("s sigma_ell", positive=True)

EXERCISES = [
    Exercise("scvi-1", "scvi.md",
             "the mean and the variance of NB(mu, theta), from the Gamma-Poisson mixture",
             (mu, theta), (mu, mu + mu**2 / theta)),
    Exercise("scvi-2", "scvi.md",
             "the probability ZINB(0; mu, theta, pi) of a zero count",
             (mu, theta, pi), pi + (1 - pi) * (theta / (theta + mu)) ** theta),
    Exercise("scvi-3", "scvi.md",
             "the derivative of log NB(x; mu, theta) with respect to mu",
             (x, mu, theta), theta * (x - mu) / (mu * (theta + mu))),
    Exercise("scvi-4", "scvi.md",
             "KL(q || p) for a log-normal library size, q = logN(m, s^2) and "
             "p = logN(mu_ell, sigma_ell^2)",
             (m, s, mu_ell, sigma_ell),
             sp.log(sigma_ell / s) + (s**2 + (m - mu_ell) ** 2) / (2 * sigma_ell**2)
             - sp.Rational(1, 2)),
]

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    "scvi-1": [(mu, mu),                                  # the Poisson variance
               (mu, mu + mu**2 * theta),                  # theta read as the dispersion
               (mu, mu**2 / theta)],                      # the Poisson part forgotten
    "scvi-2": [(1 - pi) * (theta / (theta + mu)) ** theta,        # no point mass
               pi + (theta / (theta + mu)) ** theta,               # no factor 1 - pi
               pi + (1 - pi) * (mu / (theta + mu)) ** theta],      # the fractions swapped
    "scvi-3": [(x - mu) / mu,                                      # the Poisson score
               theta * (mu - x) / (mu * (theta + mu)),             # the sign
               x / mu - x / (theta + mu)],                         # theta's term lost
    "scvi-4": [sp.log(s / sigma_ell) + (sigma_ell**2 + (m - mu_ell) ** 2) / (2 * s**2)
               - sp.Rational(1, 2),                                # KL(p || q)
               sp.log(sigma_ell / s) + (s**2 + (m - mu_ell) ** 2) / sigma_ell**2 - 1,
               sp.log(sigma_ell / s) + (s**2 + (m - mu_ell) ** 2) / (2 * sigma_ell**2)
               - sp.Rational(1, 2) + m - mu_ell],                  # a Jacobian kept
}
