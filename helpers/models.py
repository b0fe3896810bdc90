"""Latent-variable models whose evidence, posterior and ELBO are known exactly.

- :class:`ConjugateGaussian`: ``z ~ N(prior_mean, prior_var)``,
  ``x | z ~ N(z, noise_var)``, one scalar observation ``x``; the posterior is
  Gaussian and every quantity has a closed form.
- :class:`DiscreteLatent`: a latent with ``K`` states and an observation with
  ``M`` values, given by tables; every expectation is a finite sum.

Methods broadcast over NumPy arrays (a grid of ``q`` parameters, many ``x``).
Natural logarithms throughout; ``q`` is always the first argument of a KL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from helpers.gaussian import kl_normal, log_normal
from helpers.validation import count, generator, positive as _positive
from helpers.validation import probabilities as _probabilities
from helpers.validation import real_array


_finite = real_array         # every entry a finite real, or ValueError naming it


@dataclass(frozen=True)
class ConjugateGaussian:
    """``z ~ N(prior_mean, prior_var)``, ``x | z ~ N(z, noise_var)``.

    Evidence: ``p(x) = N(x; prior_mean, prior_var + noise_var)``.
    Posterior: ``N(m, v)`` with ``1/v = 1/prior_var + 1/noise_var`` and
    ``m = v (prior_mean/prior_var + x/noise_var)``.
    """

    prior_mean: float
    prior_var: float
    noise_var: float

    def __post_init__(self):
        _finite("prior_mean", self.prior_mean)
        _positive("prior_var", self.prior_var)
        _positive("noise_var", self.noise_var)

    # ---- exact quantities ----------------------------------------------------

    def log_evidence(self, x):
        """log p(x) = log N(x; prior_mean, prior_var + noise_var)."""
        return log_normal(_finite("x", x), self.prior_mean, self.prior_var + self.noise_var)

    def posterior(self, x):
        """Mean and variance of p(z | x), the precision-weighted combination."""
        x = _finite("x", x)
        var = 1.0 / (1.0 / self.prior_var + 1.0 / self.noise_var)
        mean = var * (self.prior_mean / self.prior_var + x / self.noise_var)
        return mean, np.broadcast_to(var, np.shape(mean))[()]

    def elbo(self, x, q_mean, q_var):
        """ELBO of ``q = N(q_mean, q_var)`` in closed form (book: eq-elbo-gaussian).

        E_q[log p(x | z)] = log N(x; q_mean, noise_var) - q_var / (2 noise_var)
        E_q[log p(z)]     = log N(q_mean; prior_mean, prior_var) - q_var / (2 prior_var)
        H[q]              = 1/2 log(2 pi e q_var)
        """
        x, q_mean, q_var = _finite("x", x), _finite("q_mean", q_mean), _positive("q_var", q_var)
        reconstruction = log_normal(x, q_mean, self.noise_var) - q_var / (2 * self.noise_var)
        prior_term = log_normal(q_mean, self.prior_mean, self.prior_var) - q_var / (2 * self.prior_var)
        entropy = 0.5 * np.log(2 * np.pi * np.e * q_var)
        return reconstruction + prior_term + entropy

    def kl_to_posterior(self, x, q_mean, q_var):
        """KL(q || p(z | x)) for ``q = N(q_mean, q_var)``."""
        post_mean, post_var = self.posterior(x)
        return kl_normal(_finite("q_mean", q_mean), _positive("q_var", q_var), post_mean, post_var)

    def weight_relative_variance(self, x, q_mean, q_var):
        """Var_q[w] / p(x)^2 for the importance weight ``w = p(x, z) / q(z)``, ``z ~ q``.

        With posterior N(a, A) and q = N(b, B), E_q[w^2] / p(x)^2 is the integral
        of N(z; a, A)^2 / N(z; b, B), equal to B / sqrt(A (2B - A)) exp((a-b)^2 / (2B - A))
        when 2B > A and infinite otherwise (book: eq-weight-variance).  Sampling
        from the prior is the case q = prior.
        """
        a, A = self.posterior(x)
        b, B = _finite("q_mean", q_mean), _positive("q_var", q_var)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            spread = 2 * B - A
            second_moment = B / np.sqrt(A * spread) * np.exp((a - b) ** 2 / spread)
        return np.where(spread > 0, second_moment - 1.0, np.inf)[()]

    # ---- densities and sampling for Monte Carlo ------------------------------

    def log_joint(self, x, z):
        """log p(x, z) = log N(z; prior_mean, prior_var) + log N(x; z, noise_var)."""
        x, z = _finite("x", x), _finite("z", z)
        return log_normal(z, self.prior_mean, self.prior_var) + log_normal(x, z, self.noise_var)

    def log_likelihood(self, x, z):
        """log p(x | z) = log N(x; z, noise_var)."""
        return log_normal(_finite("x", x), _finite("z", z), self.noise_var)

    def sample_prior(self, rng: np.random.Generator, size):
        """Draws of z from the prior; ``size`` a positive count or a tuple of them."""
        generator("rng", rng)
        shape = size if isinstance(size, tuple) else (size,)
        shape = tuple(count("size", n) for n in shape)
        return self.prior_mean + np.sqrt(self.prior_var) * rng.standard_normal(shape)


class DiscreteLatent:
    """A latent ``z`` with K states and an observation ``x`` with M values.

    ``prior[k] = p(z = k)`` and ``likelihood[k, j] = p(x = j | z = k)``.
    Every quantity is a finite sum, computed in log space.
    """

    def __init__(self, prior, likelihood):
        self.prior = _probabilities("prior", prior)
        likelihood = real_array("likelihood", likelihood)
        if likelihood.ndim != 2 or likelihood.shape[0] != self.prior.size:
            raise ValueError(f"likelihood must have shape (K, M) with K = {self.prior.size} "
                             f"rows, got {likelihood.shape}")
        for k, row in enumerate(likelihood):
            _probabilities(f"likelihood row {k}", row)
        self.likelihood = likelihood

    def _column(self, x) -> np.ndarray:
        if not (isinstance(x, (int, np.integer)) and 0 <= x < self.likelihood.shape[1]):
            raise ValueError(f"x must be an integer in 0..{self.likelihood.shape[1] - 1}, got {x!r}")
        with np.errstate(divide="ignore"):
            return np.log(self.prior) + np.log(self.likelihood[:, x])

    def log_evidence(self, x) -> float:
        """log p(x) = log sum_k p(z = k) p(x | z = k)."""
        return float(logsumexp(self._column(x)))

    def posterior(self, x) -> np.ndarray:
        """p(z | x) as a vector over the K states."""
        log_joint = self._column(x)
        return np.exp(log_joint - logsumexp(log_joint))

    def elbo(self, x, q) -> float:
        """sum_k q_k (log p(x, z = k) - log q_k), with 0 log 0 = 0."""
        q = _probabilities("q", q)
        if q.size != self.prior.size:
            raise ValueError(f"q must have K = {self.prior.size} entries, got {q.size}")
        log_joint, support = self._column(x), q > 0
        if np.any(np.isneginf(log_joint[support])):
            return -np.inf      # q puts mass where p(x, z) = 0
        return float(np.sum(q[support] * (log_joint[support] - np.log(q[support]))))
