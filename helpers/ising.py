"""The Ising model on a small graph: exact enumeration and the mean-field ELBO.

Spins ``s_i = +1 or -1`` on the ``n`` sites of a graph with edge list ``edges``;
the energy and the Boltzmann distribution at inverse temperature ``beta`` are::

    E(s) = -J sum_{(i, j) in edges} s_i s_j - h sum_i s_i,
    p(s) = exp(-beta E(s)) / Z,      Z = sum_s exp(-beta E(s)).

With ``log p(x, z) = -beta E(z)`` the log-evidence of the ELBO is ``log Z``
(book: ising.md).  For every distribution q over the 2^n states::

    log Z = ELBO(q) + KL(q || p),    ELBO(q) = E_q[-beta E(s)] + H[q]

(eq-ising-bound); ``-ELBO(q) / beta`` is the variational free energy.

- Exact, by enumerating all 2^n states (n <= 20): :meth:`Ising.log_partition`,
  :meth:`Ising.log_boltzmann`, :meth:`Ising.mean_abs_magnetisation`, and for any
  q given by its log-probabilities :meth:`Ising.elbo_exact` and
  :meth:`Ising.kl_to_boltzmann`.
- Mean field, q(s) = prod_i (1 + m_i s_i) / 2 with magnetisations m_i = E_q[s_i]:
  the closed-form ELBO (eq-ising-mf-elbo), the self-consistency map
  m_i -> tanh(beta (J sum_{j in N(i)} m_j + h)) (eq-ising-self-consistency),
  its damped fixed-point iteration and the Hessian.
- The periodic chain's closed form by the transfer matrix (eq-ising-chain).

Temperatures are ``T = 1 / beta`` with Boltzmann's constant 1; natural logs.
An edge listed twice counts twice (its coupling is 2 J).  Bad input raises
``ValueError`` naming the argument and the rule it broke.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import entr, logsumexp
from helpers.validation import real_array as _array
from helpers.validation import real_scalar as _scalar

__all__ = ["lattice_edges", "all_spins", "binary_entropy", "chain_log_partition",
           "Ising", "MAX_ENUMERATED"]

#: Largest number of spins whose 2^n states the exact methods enumerate.
MAX_ENUMERATED = 20


# ---- validation --------------------------------------------------------------

def _count(name, value, lowest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lowest:
        raise ValueError(f"{name} must be an integer >= {lowest}, got {value!r}")
    return int(value)


def _beta(beta):
    beta = _array("beta", beta)
    if np.any(beta < 0):
        raise ValueError(f"beta must be non-negative (beta = 1/T), got min {beta.min()}")
    return beta


def _magnetisations(m, n: int, strict: bool = False, name: str = "m"):
    m = _array(name, m)
    if m.ndim == 0 or m.shape[-1] != n:
        raise ValueError(f"{name} must have last axis of length n_spins = {n}, got shape "
                         f"{m.shape}")
    if strict and np.any(np.abs(m) >= 1):
        raise ValueError(f"{name} must lie in the open interval (-1, 1) here, got max |m| "
                         f"{np.abs(m).max()}")
    if np.any(np.abs(m) > 1):
        raise ValueError(f"{name} must lie in [-1, 1] (m_i = E_q[s_i]), got max |m| "
                         f"{np.abs(m).max()}")
    return m


# ---- lattices and states -------------------------------------------------------

def lattice_edges(rows: int, cols: int, periodic: bool = True) -> np.ndarray:
    """Nearest-neighbour bonds of a ``rows x cols`` square lattice, shape (n_edges, 2).

    Site ``(r, c)`` has index ``r * cols + c``; each bond appears once, as
    (site, right neighbour) and (site, neighbour below).  With ``periodic`` the
    last column joins the first and the last row the first (a torus), so every
    site has 4 neighbours; a side of length 1 has no bonds along it, so
    ``lattice_edges(1, n)`` is the periodic chain (a ring).  A periodic side of
    length 2 would join the same pair twice and is refused.
    """
    rows, cols = _count("rows", rows, 1), _count("cols", cols, 1)
    if periodic and 2 in (rows, cols):
        raise ValueError("rows and cols must be 1 or >= 3 with periodic boundaries "
                         f"(a side of 2 joins the same pair twice), got {rows} x {cols}")
    index = np.arange(rows * cols).reshape(rows, cols)
    edges = []
    for axis, length in ((1, cols), (0, rows)):
        if length == 1:
            continue
        neighbour = np.roll(index, -1, axis=axis)
        keep = np.ones_like(index, dtype=bool)
        if not periodic:                       # drop the wrap-around bonds
            keep[(slice(None), -1) if axis == 1 else (-1, slice(None))] = False
        edges.append(np.stack([index[keep], neighbour[keep]], axis=1))
    if not edges:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(edges).astype(np.int64)


def all_spins(n: int) -> np.ndarray:
    """All 2^n spin configurations, shape (2^n, n), entries +1 or -1 (int8).

    Row ``k`` holds the binary digits of ``k`` (bit ``i`` = 1 means s_i = -1),
    so row 0 is all +1, the last row all -1, and row 2^n - 1 - k is row k with
    every spin flipped (``all_spins(n)[::-1] == -all_spins(n)``).
    """
    n = _count("n", n, 1)
    if n > MAX_ENUMERATED:
        raise ValueError(f"n must be at most {MAX_ENUMERATED} to enumerate 2^n states, got {n}")
    bits = (np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n)) & 1
    return (1 - 2 * bits).astype(np.int8)


def binary_entropy(m):
    """Entropy in nats of a spin with mean E[s] = m (book: eq-ising-mf-elbo).

    H_b(m) = -sum_{s = +-1} (1 + m s)/2 log((1 + m s)/2).
    H_b(0) = log 2 and H_b(+-1) = 0 (with 0 log 0 = 0); m must lie in [-1, 1].
    """
    m = _array("m", m)
    if np.any(np.abs(m) > 1):
        raise ValueError(f"m must lie in [-1, 1], got max |m| {np.abs(m).max()}")
    return (entr((1 + m) / 2) + entr((1 - m) / 2))[()]


def chain_log_partition(n: int, beta, J: float = 1.0, h: float = 0.0):
    """log Z of the periodic chain (ring) of ``n`` spins by the transfer matrix (eq-ising-chain).

    ``Z = lam_plus^n + lam_minus^n``, the trace of ``T^n`` with
    ``T = [[e^{beta (J + h)}, e^{-beta J}], [e^{-beta J}, e^{beta (J - h)}]]``, whose
    eigenvalues are ``e^{beta J} cosh(beta h) +- sqrt(e^{2 beta J} sinh^2(beta h)
    + e^{-2 beta J})``.  Needs n >= 3 (a ring of 2 would count its bond twice).
    Accuracy is lost when the two eigenvalues nearly cancel, as on an odd ring
    with a strong antiferromagnetic coupling (beta J << 0, h = 0).
    """
    n = _count("n", n, 3)
    beta, J, h = _beta(beta), _scalar("J", J), _scalar("h", h)
    bj, bh = beta * J, beta * h
    root = np.sqrt(np.exp(2 * bj) * np.sinh(bh) ** 2 + np.exp(-2 * bj))
    lam_plus = np.exp(bj) * np.cosh(bh) + root
    ratio = (np.exp(bj) * np.cosh(bh) - root) / lam_plus     # |ratio| < 1
    return (n * np.log(lam_plus) + np.log1p(ratio**n))[()]


# ---- the model -----------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Ising:
    """Ising model ``E(s) = -J sum_edges s_i s_j - h sum_i s_i`` on ``n_spins`` sites.

    ``edges`` is an integer array of shape (n_edges, 2) with distinct endpoints
    in 0..n_spins-1.  Methods taking ``beta`` broadcast over arrays of inverse
    temperatures; methods taking magnetisations ``m`` want the sites on the
    last axis.  The exact methods enumerate all 2^n_spins states (cached).
    """

    edges: np.ndarray
    n_spins: int
    J: float = 1.0
    h: float = 0.0

    def __post_init__(self):
        n = _count("n_spins", self.n_spins, 1)
        edges = np.asarray(self.edges)
        if edges.size == 0:
            edges = np.zeros((0, 2), dtype=np.int64)
        if edges.ndim != 2 or edges.shape[1] != 2 or not np.issubdtype(edges.dtype, np.integer):
            raise ValueError(f"edges must be an integer array of shape (n_edges, 2), "
                             f"got shape {edges.shape} and dtype {edges.dtype}")
        if edges.size and (edges.min() < 0 or edges.max() >= n):
            raise ValueError(f"edges must join sites in 0..{n - 1}, got "
                             f"{edges.min()}..{edges.max()}")
        if np.any(edges[:, 0] == edges[:, 1]):
            raise ValueError("edges must join two different sites, got a self-loop")
        object.__setattr__(self, "edges", edges.astype(np.int64))
        object.__setattr__(self, "n_spins", n)
        object.__setattr__(self, "J", _scalar("J", self.J))
        object.__setattr__(self, "h", _scalar("h", self.h))

    @classmethod
    def square(cls, rows: int, cols: int | None = None, *, J: float = 1.0,
               h: float = 0.0, periodic: bool = True) -> "Ising":
        """The ``rows x cols`` square lattice (``cols`` defaults to ``rows``).

        See :func:`lattice_edges` for the site order and the boundaries.
        """
        cols = rows if cols is None else cols
        return cls(lattice_edges(rows, cols, periodic), rows * cols, J, h)

    @classmethod
    def chain(cls, n: int, *, J: float = 1.0, h: float = 0.0) -> "Ising":
        """The periodic chain (ring) of ``n >= 3`` spins."""
        return cls(lattice_edges(1, _count("n", n, 3)), n, J, h)

    # ---- the graph -------------------------------------------------------------

    @cached_property
    def adjacency(self) -> np.ndarray:
        """A[i, j] = number of edges joining i and j (symmetric, zero diagonal)."""
        A = np.zeros((self.n_spins, self.n_spins))
        np.add.at(A, (self.edges[:, 0], self.edges[:, 1]), 1.0)
        return A + A.T

    @property
    def degrees(self) -> np.ndarray:
        """Number of neighbours of each site (the coordination number, 4 on the torus)."""
        return self.adjacency.sum(axis=1)

    def energy(self, spins):
        """E(s) for configurations ``spins`` with the sites on the last axis (+1 or -1)."""
        s = _array("spins", spins)
        if s.ndim == 0 or s.shape[-1] != self.n_spins:
            raise ValueError(f"spins must have last axis of length n_spins = {self.n_spins}, "
                             f"got shape {s.shape}")
        if not np.all(np.abs(s) == 1):
            raise ValueError("spins must be +1 or -1")
        bonds = np.sum(s[..., self.edges[:, 0]] * s[..., self.edges[:, 1]], axis=-1)
        return (-self.J * bonds - self.h * np.sum(s, axis=-1))[()]

    # ---- exact, by enumeration ---------------------------------------------------

    @cached_property
    def states(self) -> np.ndarray:
        """All 2^n_spins configurations, as :func:`all_spins` orders them."""
        return all_spins(self.n_spins)

    @cached_property
    def _bonds_and_magnetisation(self) -> tuple[np.ndarray, np.ndarray]:
        """Per state: B(s) = sum_edges s_i s_j and M(s) = sum_i s_i (integers)."""
        s = self.states.astype(np.int64)
        bonds = np.sum(s[:, self.edges[:, 0]] * s[:, self.edges[:, 1]], axis=1)
        return bonds, s.sum(axis=1)

    @cached_property
    def levels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct pairs (B, M) of bond sum and magnetisation, and log of their counts.

        E(s) = -J B(s) - h M(s) depends on a state only through that pair, so
        log Z = logsumexp(beta (J B + h M) + log count) is a sum over few terms.
        """
        bonds, magnet = self._bonds_and_magnetisation
        pairs, counts = np.unique(np.stack([bonds, magnet], axis=1), axis=0,
                                  return_counts=True)
        return pairs[:, 0].astype(float), pairs[:, 1].astype(float), np.log(counts)

    def log_partition(self, beta):
        """log Z(beta) = logsumexp_s(-beta E(s)), exact (vectorised over ``beta``)."""
        beta = _beta(beta)
        bonds, magnet, log_count = self.levels
        exponent = beta[..., None] * (self.J * bonds + self.h * magnet) + log_count
        return logsumexp(exponent, axis=-1)[()]

    def log_boltzmann(self, beta):
        """log p(s) = -beta E(s) - log Z for every state, shape beta.shape + (2^n,)."""
        beta = _beta(beta)
        bonds, magnet = self._bonds_and_magnetisation
        minus_beta_energy = beta[..., None] * (self.J * bonds + self.h * magnet)
        return minus_beta_energy - self.log_partition(beta)[..., None]

    def mean_abs_magnetisation(self, beta):
        """E_p[abs(M)] / n with M = sum_i s_i, exact (vectorised over ``beta``)."""
        beta = _beta(beta)
        bonds, magnet, log_count = self.levels
        exponent = beta[..., None] * (self.J * bonds + self.h * magnet) + log_count
        weights = np.exp(exponent - logsumexp(exponent, axis=-1, keepdims=True))
        return (weights @ np.abs(magnet) / self.n_spins)[()]

    def product_log_prob(self, m):
        """log q(s) = sum_i log((1 + m_i s_i) / 2) for every state, shape m.shape[:-1] + (2^n,).

        The mean-field family: independent spins with E_q[s_i] = m_i.  For
        abs(m_i) < 1 each term is a_i + b_i s_i with a_i, b_i from log((1 -+ m_i)/2);
        a site pinned at m_i = +-1 contributes 0 to the states that agree with it,
        and the states that disagree get -inf.
        """
        m = _magnetisations(m, self.n_spins)
        pinned = np.abs(m) == 1
        free = np.where(pinned, 0.0, m)
        log_up, log_down = np.log1p(free) - np.log(2), np.log1p(-free) - np.log(2)
        log_up, log_down = np.where(pinned, 0.0, log_up), np.where(pinned, 0.0, log_down)
        spins = self._spins_by_site                          # (n, 2^n), +-1
        log_q = (np.sum(log_up + log_down, axis=-1)[..., None] / 2
                 + ((log_up - log_down) / 2) @ spins)
        if np.any(pinned):
            agree = np.where(pinned, m, 0.0) @ spins            # = number pinned if all agree
            log_q = np.where(agree < np.sum(pinned, axis=-1)[..., None] - 0.5, -np.inf, log_q)
        return log_q

    @cached_property
    def _spins_by_site(self) -> np.ndarray:
        """The states as floats, one row per site: shape (n, 2^n), contiguous."""
        return np.ascontiguousarray(self.states.T, dtype=np.float64)

    def _log_q(self, log_q):
        try:
            log_q = np.asarray(log_q, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"log_q must be real numbers, got {log_q!r}") from err
        size = 2**self.n_spins
        if log_q.ndim == 0 or log_q.shape[-1] != size:
            raise ValueError(f"log_q must have last axis of length 2^n_spins = {size}, "
                             f"got shape {log_q.shape}")
        q = np.exp(log_q)
        total = np.sum(q, axis=-1)         # not finite if log_q holds a nan or +inf
        if not np.all(np.isfinite(total)) and np.any(np.isnan(log_q) | (log_q == np.inf)):
            raise ValueError("log_q must be log-probabilities (finite or -inf)")
        if not np.allclose(total, 1.0, rtol=0, atol=1e-9):
            raise ValueError(f"log_q must be normalised (q sums to 1), got sums up to "
                             f"{np.max(np.abs(total - 1)):.3g} away from 1")
        return log_q, q

    def elbo_exact(self, log_q, beta):
        """ELBO(q) = E_q[-beta E(s)] + H[q] = sum_s q(s) (-beta E(s) - log q(s)), exact.

        ``log_q`` holds log q(s) for every state (last axis, order of
        :attr:`states`); it broadcasts against ``beta``.  Terms with q(s) = 0 are 0.
        """
        (log_q, q), beta = self._log_q(log_q), _beta(beta)
        bonds, magnet = self._bonds_and_magnetisation
        terms = q * (beta[..., None] * (self.J * bonds + self.h * magnet)
                     - np.where(q > 0, log_q, 0.0))
        return np.sum(terms, axis=-1)[()]

    def kl_to_boltzmann(self, log_q, beta):
        """KL(q || p_beta) = sum_s q(s) (log q(s) - log p(s)), exact (eq-ising-bound)."""
        log_q, q = self._log_q(log_q)
        log_p = self.log_boltzmann(beta)
        return np.sum(q * np.where(q > 0, log_q - log_p, 0.0), axis=-1)[()]

    # ---- mean field ------------------------------------------------------------

    def mean_field_elbo(self, m, beta):
        """ELBO of the product distribution with magnetisations ``m`` (eq-ising-mf-elbo).

        ELBO(m) = beta J sum_{(i, j) in edges} m_i m_j + beta h sum_i m_i + sum_i H_b(m_i),
        because E_q[s_i s_j] = m_i m_j for i != j and the entropy of a product
        is the sum of the spins' entropies (:func:`binary_entropy`).
        """
        m, beta = _magnetisations(m, self.n_spins), _beta(beta)
        bonds = np.sum(m[..., self.edges[:, 0]] * m[..., self.edges[:, 1]], axis=-1)
        energy_term = beta * (self.J * bonds + self.h * np.sum(m, axis=-1))
        return (energy_term + np.sum(binary_entropy(m), axis=-1))[()]

    def mean_field_map(self, m, beta):
        """m_i -> tanh(beta (J sum_{j in N(i)} m_j + h)), the self-consistency map.

        Its fixed points are the stationary points of :meth:`mean_field_elbo`
        (eq-ising-self-consistency).
        """
        m, beta = _magnetisations(m, self.n_spins), _beta(beta)
        return self._map(m, beta[..., None])

    def _map(self, m, beta_column):
        """:meth:`mean_field_map` on checked arrays (``beta`` with a trailing axis)."""
        return np.tanh(beta_column * (self.J * (m @ self.adjacency) + self.h))

    def self_consistency_residual(self, m, beta):
        """m - tanh(beta (J sum_{j in N(i)} m_j + h)); zero exactly at a stationary point."""
        return _magnetisations(m, self.n_spins) - self.mean_field_map(m, beta)

    def mean_field_hessian(self, m, beta):
        """Second derivatives of ELBO(m): beta J A - diag(1 / (1 - m_i^2)), for abs(m_i) < 1."""
        m, beta = _magnetisations(m, self.n_spins, strict=True), _beta(beta)
        diagonal = np.eye(self.n_spins) / (1 - m[..., None, :] ** 2)
        return beta[..., None, None] * self.J * self.adjacency - diagonal

    def mean_field_solve(self, beta, m0, *, damping: float = 0.5, tol: float = 1e-12,
                         max_iter: int = 100_000):
        """A fixed point of the self-consistency map, by damped iteration from ``m0``.

        m <- (1 - damping) m + damping tanh(beta (J A m + h)), vectorised over
        ``beta`` (``m0`` broadcasts to beta.shape + (n_spins,)), until every
        residual ``|m - tanh(...)|`` is at most ``tol``.  Which fixed point is
        reached depends on ``m0``: for h = 0, ``m0 = 0`` stays at 0.  Raises
        ``RuntimeError`` if ``max_iter`` iterations do not reach ``tol``
        (convergence is slow at the mean-field critical point).
        """
        beta = _beta(beta)
        damping = _scalar("damping", damping)
        if not 0 < damping <= 1:
            raise ValueError(f"damping must lie in (0, 1], got {damping}")
        tol = _scalar("tol", tol)
        if not tol > 0:
            raise ValueError(f"tol must be positive, got {tol}")
        max_iter = _count("max_iter", max_iter, 1)
        if np.ndim(m0) == 0:                   # one number: the uniform start
            m0 = np.full(self.n_spins, _scalar("m0", m0))
        m0 = _magnetisations(m0, self.n_spins, name="m0")
        m = np.broadcast_to(m0, beta.shape + (self.n_spins,)).copy()
        beta_column, keep = beta[..., None], 1 - damping   # checked once, not per step
        for _ in range(max_iter):
            target = self._map(m, beta_column)
            if np.abs(target - m).max(initial=0.0) <= tol:
                return m
            m = keep * m + damping * target
        raise RuntimeError(f"mean_field_solve: no fixed point within tol = {tol:g} after "
                           f"{max_iter} iterations (largest residual "
                           f"{np.max(np.abs(target - m)):.3g})")
