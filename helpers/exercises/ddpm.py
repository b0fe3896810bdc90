"""Exercises of the chapter on the diffusion model's variational bound (``book/ddpm.md``)."""

import sympy as sp

from helpers.exercises.grader import Exercise

beta_1, beta_2 = sp.symbols("beta_1 beta_2", positive=True)
x_t, epsilon = sp.symbols("x_t epsilon", real=True)
beta_t, alpha_t = sp.symbols("beta_t alpha_t", positive=True)
alphabar_prev = sp.Symbol("alphabar_prev", positive=True)       # abar_{t-1}
mutilde, mu_theta = sp.symbols("mutilde mu_theta", real=True)
betatilde = sp.Symbol("betatilde", positive=True)
# The schedule's ranges 0 < beta < 1 and 0 < abar_{t-1} < 1, as constraints: alpha = 1 - beta
# and v_{t-1} = 1 - abar_{t-1}, the variance of x_{t-1} given x_0, must come out positive.
alpha_1, alpha_2 = sp.symbols("alpha_1 alpha_2", positive=True)
v_prev = sp.Symbol("v_prev", positive=True)
TWO_STEPS = {alpha_1: 1 - beta_1, alpha_2: 1 - beta_2}
STEP = {alpha_t: 1 - beta_t, v_prev: 1 - alphabar_prev}

EXERCISES = [
    Exercise("ddpm-1", "ddpm.md",
             "the variance of x_2 given x_0 after two forward steps with beta_1 and beta_2",
             (beta_1, beta_2), 1 - (1 - beta_1) * (1 - beta_2), where=TWO_STEPS),
    Exercise("ddpm-2", "ddpm.md",
             "the posterior mean mu_tilde_t(x_t, x_0) with x_0 written through x_t and the "
             "noise epsilon (the epsilon-parameterisation)",
             (x_t, epsilon, beta_t, alpha_t, alphabar_prev),
             (x_t - beta_t / sp.sqrt(1 - (1 - beta_t) * alphabar_prev) * epsilon)
             / sp.sqrt(1 - beta_t),
             where=STEP),
    Exercise("ddpm-3", "ddpm.md",
             "KL(N(mu_tilde, beta_tilde) || N(mu_theta, beta_tilde)) in one coordinate: the "
             "denoising term when the reverse variance equals the posterior's",
             (mutilde, mu_theta, betatilde), (mutilde - mu_theta) ** 2 / (2 * betatilde)),
    Exercise("ddpm-4", "ddpm.md",
             "the weight lambda_t of the squared noise error for sigma_t^2 = beta_tilde_t, "
             "in beta_t and abar_{t-1}",
             (beta_t, alphabar_prev), beta_t / (2 * (1 - beta_t) * (1 - alphabar_prev)),
             where=STEP),
]

_abar_t = alpha_t * alphabar_prev

#: Typical wrong answers, each of which the grader must reject with a counter-example.
WRONG = {
    # the shrinking of the old variance forgotten; the standard deviation's factor
    # sqrt(1 - beta_2) used on a variance; the signal's share instead of the noise's
    "ddpm-1": [beta_1 + beta_2, sp.sqrt(1 - beta_2) * beta_1 + beta_2,
               (1 - beta_1) * (1 - beta_2)],
    # the noise term's sign flipped; 1 - abar_t without its square root; the overall
    # factor 1 / sqrt(alpha_t) dropped
    "ddpm-2": [(x_t + beta_t / sp.sqrt(1 - _abar_t) * epsilon) / sp.sqrt(alpha_t),
               (x_t - beta_t / (1 - _abar_t) * epsilon) / sp.sqrt(alpha_t),
               x_t - beta_t / sp.sqrt(1 - _abar_t) * epsilon],
    # the factor 1/2 missing; the variance squared; E_q[(x - mu_theta)^2] / (2 beta_tilde)
    # alone, without the -1/2 that E_q[log q] contributes
    "ddpm-3": [(mutilde - mu_theta) ** 2 / betatilde,
               (mutilde - mu_theta) ** 2 / (2 * betatilde**2),
               (mutilde - mu_theta) ** 2 / (2 * betatilde) + sp.Rational(1, 2)],
    # Ho et al.'s weight for sigma_t^2 = beta_t instead; beta_t not cancelled once;
    # the factor 1/2 missing
    "ddpm-4": [beta_t / (2 * (1 - beta_t) * (1 - (1 - beta_t) * alphabar_prev)),
               beta_t**2 / (2 * (1 - beta_t) * (1 - alphabar_prev)),
               beta_t / ((1 - beta_t) * (1 - alphabar_prev))],
}
