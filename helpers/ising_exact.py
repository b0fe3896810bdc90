"""The Ising model beyond mean field: a row transfer matrix, fluctuations, Bethe.

Companion of :mod:`helpers.ising` (book: ising.md), with the same conventions:
``E(s) = -J sum_<ij> s_i s_j - h sum_i s_i``, ``p(s) = exp(-beta E(s)) / Z``,
Boltzmann's constant 1, natural logs.

- :func:`row_transfer_matrix` and :func:`torus_log_partition`: the
  partition function of the ``rows x cols`` torus as ``tr T^rows`` of the
  ``2^cols x 2^cols`` row-to-row transfer matrix (eq-ising-transfer), a
  computation independent of the enumeration in :class:`helpers.ising.Ising`.
- :func:`mean_magnetisation`, :func:`specific_heat` and
  :func:`abs_magnetisation_susceptibility`: exact moments of the energy and of
  the magnetisation M = sum_i s_i, from the model's enumerated levels.
- :func:`mean_field_coordinate_ascent`: the mean-field ELBO
  (eq-ising-mf-elbo) maximised one site at a time, from any start.
- :func:`belief_propagation`: loopy sum-product on the model's graph and the
  Bethe approximation log Z_Bethe at its fixed point (eq-ising-bethe).

Bad input raises ``ValueError`` (or ``TypeError`` for a model that is not an
:class:`~helpers.ising.Ising`) naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from helpers.ising import Ising, all_spins
from helpers.validation import count as _count
from helpers.validation import real_array as _array
from helpers.validation import real_scalar as _scalar

__all__ = ["MAX_ROW", "row_transfer_matrix", "torus_log_partition", "mean_magnetisation",
           "specific_heat", "abs_magnetisation_susceptibility",
           "mean_field_coordinate_ascent", "BetheFixedPoint", "belief_propagation"]

#: Longest row of the transfer matrix (a 2^MAX_ROW x 2^MAX_ROW matrix).
MAX_ROW = 10


# ---- validation --------------------------------------------------------------

def _beta(beta):
    beta = _array("beta", beta)
    if np.any(beta < 0):
        raise ValueError(f"beta must be non-negative (beta = 1/T), got min {beta.min()}")
    return beta


def _model(model) -> Ising:
    if not isinstance(model, Ising):
        raise TypeError(f"model must be a helpers.ising.Ising, got {type(model).__name__}")
    return model


def _side(name, value) -> int:
    value = _count(name, value, 1)
    if value == 2:
        raise ValueError(f"{name} must be 1 or >= 3 on the torus (a periodic side of 2 "
                         f"joins the same pair twice), got 2")
    return value


def _tolerances(damping, tol):
    damping, tol = _scalar("damping", damping), _scalar("tol", tol)
    if not 0 < damping <= 1:
        raise ValueError(f"damping must lie in (0, 1], got {damping}")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    return damping, tol


def _log_cosh(x):
    """log cosh x without overflow."""
    return np.logaddexp(x, -x) - np.log(2.0)


# ---- the row-to-row transfer matrix --------------------------------------------

def row_transfer_matrix(cols: int, beta, J: float = 1.0, h: float = 0.0):
    """The row-to-row transfer matrix of a square lattice with periodic rows (eq-ising-transfer).

    A row is ``a = (a_1, ..., a_cols)`` with ``a_c = +1 or -1``, ordered as
    :func:`helpers.ising.all_spins` orders states.  Its own weight is
    ``W(a) = J sum_c a_c a_{c+1} + h sum_c a_c`` (indices mod ``cols``; no
    bond along a row of length 1), and two rows on top of each other share the
    bonds ``J sum_c a_c b_c``.  Splitting each row's weight between the two
    factors that contain it::

        T[a, b] = exp(beta (W(a) / 2 + J sum_c a_c b_c + W(b) / 2)),

    a symmetric positive matrix, shape ``beta.shape + (2^cols, 2^cols)``
    (its entries overflow for very large ``beta``; :func:`torus_log_partition`
    scales them).
    """
    beta = _beta(beta)
    return np.exp(beta[..., None, None] * _row_exponent(cols, J, h))


def _row_exponent(cols, J, h):
    """W(a) / 2 + J a.b + W(b) / 2 for every pair of rows: log T / beta."""
    cols = _side("cols", cols)
    if cols > MAX_ROW:
        raise ValueError(f"cols must be at most {MAX_ROW}, got {cols}")
    J, h = _scalar("J", J), _scalar("h", h)
    rows = all_spins(cols).astype(np.float64)                    # (2^cols, cols)
    within = (np.sum(rows * np.roll(rows, -1, axis=1), axis=1) if cols >= 3
              else np.zeros(len(rows)))
    weight = J * within + h * rows.sum(axis=1)                   # W(a)
    return weight[:, None] / 2 + J * rows @ rows.T + weight[None, :] / 2


def torus_log_partition(rows: int, cols: int, beta, J: float = 1.0, h: float = 0.0):
    """log Z of the ``rows x cols`` torus as log tr T^rows (eq-ising-transfer).

    ``Z = sum_{a_1..a_rows} T[a_1, a_2] T[a_2, a_3] ... T[a_rows, a_1] = tr T^rows``
    for the :func:`row_transfer_matrix` ``T``.  Computed from the eigenvalues of
    the symmetric ``T``: ``log Z = rows log lam_max + log sum_k (lam_k / lam_max)^rows``,
    which neither overflows nor loses the small eigenvalues' share.  ``rows``
    must be at least 3 (two rows would be joined twice; one row is the ring of
    :func:`helpers.ising.chain_log_partition`), ``cols`` 1 or at least 3.
    """
    rows = _count("rows", rows, 3)
    exponent = _row_exponent(cols, J, h)
    beta = _beta(beta)
    shift = beta * exponent.max()                                # T / e^shift <= 1
    T = np.exp(beta[..., None, None] * exponent - shift[..., None, None])
    lam = np.linalg.eigvalsh(T)                                  # ascending
    top = lam[..., -1:]                                          # Perron root > 0
    return (rows * (shift + np.log(top[..., 0]))
            + np.log(np.sum((lam / top) ** rows, axis=-1)))[()]


# ---- exact fluctuations, from the enumerated levels ------------------------------

def _level_weights(model, beta):
    """Boltzmann probabilities of the model's (B, M) levels, shape beta.shape + (levels,)."""
    model, beta = _model(model), _beta(beta)
    bonds, magnet, log_count = model.levels
    exponent = beta[..., None] * (model.J * bonds + model.h * magnet) + log_count
    weights = np.exp(exponent - logsumexp(exponent, axis=-1, keepdims=True))
    return beta, bonds, magnet, weights


def mean_magnetisation(model, beta):
    """E_p[M] / n, M = sum_i s_i, exact by enumeration (vectorised over ``beta``).

    Zero at every temperature when h = 0, because E(-s) = E(s).
    """
    _, _, magnet, weights = _level_weights(model, beta)
    return (weights @ magnet / model.n_spins)[()]


def specific_heat(model, beta):
    """C / n = beta^2 Var_p[E] / n, exact by enumeration (vectorised over ``beta``).

    The heat capacity dE_p[E]/dT per spin; E = -J B - h M on each level.
    """
    beta, bonds, magnet, weights = _level_weights(model, beta)
    energy = -model.J * bonds - model.h * magnet
    mean = weights @ energy
    variance = weights @ energy**2 - mean**2
    return (beta**2 * np.maximum(variance, 0.0) / model.n_spins)[()]


def abs_magnetisation_susceptibility(model, beta):
    """``beta (E_p[M^2] - E_p[|M|]^2) / n``, exact by enumeration (vectorised over ``beta``).

    The susceptibility of ``|M|``, the finite lattice's stand-in for the order
    parameter (``E_p[M]`` itself is zero when h = 0).
    """
    beta, _, magnet, weights = _level_weights(model, beta)
    variance = weights @ magnet**2 - (weights @ np.abs(magnet)) ** 2
    return (beta * np.maximum(variance, 0.0) / model.n_spins)[()]


# ---- mean field, one site at a time ----------------------------------------------

def mean_field_coordinate_ascent(model, beta, m0, *, tol: float = 1e-12,
                                 max_sweeps: int = 10_000):
    """Maximise the mean-field ELBO (eq-ising-mf-elbo) one site at a time, from ``m0``.

    A sweep sets, for i = 1, ..., n in turn and with the new values of the sites
    already visited, ``m_i <- tanh(beta (J sum_{j in N(i)} m_j + h))``: the
    exact maximiser of the ELBO over ``m_i`` alone (the ELBO is strictly
    concave in each ``m_i``), so no sweep lowers the ELBO.  Sweeps stop when
    no site moved by more than ``tol``.  ``m0`` (sites on the last axis, in
    [-1, 1]) broadcasts against ``beta[..., None]``.  Raises ``RuntimeError``
    after ``max_sweeps`` sweeps without convergence.
    """
    model, beta = _model(model), _beta(beta)
    _, tol = _tolerances(1.0, tol)
    max_sweeps = _count("max_sweeps", max_sweeps, 1)
    m0 = _array("m0", m0)
    if m0.ndim == 0 or m0.shape[-1] != model.n_spins:
        raise ValueError(f"m0 must have last axis of length n_spins = {model.n_spins}, "
                         f"got shape {m0.shape}")
    if np.any(np.abs(m0) > 1):
        raise ValueError(f"m0 must lie in [-1, 1], got max |m0| {np.abs(m0).max()}")
    shape = np.broadcast_shapes(m0.shape, beta.shape + (1,))
    m = np.broadcast_to(m0, shape).copy()
    beta_ = np.broadcast_to(beta[..., None], shape)[..., 0]
    neighbours = [np.flatnonzero(row) for row in model.adjacency]
    weights = [model.adjacency[i, nb] for i, nb in enumerate(neighbours)]
    for _ in range(max_sweeps):
        moved = 0.0
        for i, (nb, w) in enumerate(zip(neighbours, weights)):
            new = np.tanh(beta_ * (model.J * (m[..., nb] @ w) + model.h))
            moved = max(moved, float(np.max(np.abs(new - m[..., i]), initial=0.0)))
            m[..., i] = new
        if moved <= tol:
            return m
    raise RuntimeError(f"mean_field_coordinate_ascent: sites still move by {moved:.3g} "
                       f"> tol = {tol:g} after {max_sweeps} sweeps")


# ---- belief propagation and the Bethe approximation --------------------------------

@dataclass(frozen=True)
class BetheFixedPoint:
    """A fixed point of loopy belief propagation, as :func:`belief_propagation` returns it.

    ``messages[..., d]`` is the message u_{i->j} along the directed edge ``d``
    (edge ``k`` of ``model.edges`` gives d = 2k for i -> j and d = 2k + 1 for
    j -> i), ``magnetisations`` the beliefs' E_b[s_i], ``log_partition`` the
    Bethe approximation log Z_Bethe (eq-ising-bethe), ``iterations`` the
    number of updates made.
    """

    messages: np.ndarray
    magnetisations: np.ndarray
    log_partition: np.ndarray
    iterations: int


def _directed(model):
    """Source, target and reverse index of the 2 n_edges directed edges."""
    e = model.edges
    source = np.stack([e[:, 0], e[:, 1]], axis=1).ravel()
    target = np.stack([e[:, 1], e[:, 0]], axis=1).ravel()
    reverse = np.arange(source.size) ^ 1
    return source, target, reverse


def belief_propagation(model, beta, *, u0: float = 0.0, damping: float = 0.5,
                       tol: float = 1e-12, max_iter: int = 100_000) -> BetheFixedPoint:
    """Loopy sum-product on the model's graph, and the Bethe log-partition function.

    With K = beta J and theta = beta h, the message along i -> j is a field
    ``u_{i->j}`` (the factor exp(u s_j) that i sends to j), updated in
    parallel, with ``damping``, as::

        g_{i->j} = theta + sum_{k in N(i), k != j} u_{k->i}          (cavity field)
        u_{i->j} <- atanh(tanh K tanh g_{i->j})
                  = (log cosh(K + g_{i->j}) - log cosh(K - g_{i->j})) / 2,

    from ``u = u0`` on every directed edge (``u0 > 0`` biases the start towards
    spins up), until no message changes by more than ``tol``.  The beliefs are
    ``b_i(s) ∝ exp(s (theta + sum_{k in N(i)} u_{k->i}))`` and
    ``b_ij(s, s') ∝ exp(K s s' + g_{i->j} s + g_{j->i} s')``, and the Bethe
    approximation is minus the Bethe free energy at them (eq-ising-bethe)::

        log Z_Bethe = sum_<ij> (E_{b_ij}[K s_i s_j] + H[b_ij])
                      + sum_i (E_{b_i}[theta s_i] - (c_i - 1) H[b_i]),

    with c_i the number of neighbours of site i.  Exact on a tree; on a graph
    with loops it is an approximation and not a bound.  Vectorised over ``beta``; raises
    ``RuntimeError`` after ``max_iter`` updates without convergence.
    """
    model, beta = _model(model), _beta(beta)
    if beta.size == 0:
        raise ValueError("beta must hold at least one inverse temperature, got none")
    u0 = _scalar("u0", u0)
    damping, tol = _tolerances(damping, tol)
    max_iter = _count("max_iter", max_iter, 1)
    source, target, reverse = _directed(model)
    K, theta = (beta * model.J)[..., None], (beta * model.h)[..., None]
    u = np.full(beta.shape + (source.size,), u0)

    arrives = np.zeros((source.size, model.n_spins))
    arrives[np.arange(source.size), target] = 1.0                # d -> its target
    # non_backtracking[k, d] = 1 if k ends where d starts and is not d reversed
    non_backtracking = arrives[:, source].copy()
    non_backtracking[reverse, np.arange(source.size)] = 0.0

    def cavity(u):
        return theta + u @ non_backtracking                       # g_{i->j}

    if np.all(np.abs(K) < 10):            # tanh K < 1 in float64: the cheaper form
        tanh_K = np.tanh(K)
        message = lambda g: np.arctanh(tanh_K * np.tanh(g))
    else:
        message = lambda g: (_log_cosh(K + g) - _log_cosh(K - g)) / 2
    iterations, change = 0, 0.0
    for iterations in range(1, max_iter + 1):
        g = cavity(u)
        new = message(g)
        change = float(np.max(np.abs(new - u), initial=0.0))
        u = (1 - damping) * u + damping * new
        if change <= tol:
            break
    else:
        raise RuntimeError(f"belief_propagation: messages still change by {change:.3g} > "
                           f"tol = {tol:g} after {max_iter} updates")
    g = cavity(u)
    field = theta + u @ arrives                                   # (..., n)
    magnetisations = np.tanh(field)
    return BetheFixedPoint(u, magnetisations, _bethe_log_partition(model, K, theta, g, field),
                           iterations)


def _bethe_log_partition(model, K, theta, g, field):
    """Minus the Bethe free energy at the beliefs of the cavity fields ``g`` (eq-ising-bethe)."""
    spins = np.array([1.0, -1.0])
    node_log = spins * field[..., None]                            # (..., n, 2)
    b_node = np.exp(node_log - logsumexp(node_log, axis=-1, keepdims=True))
    node_entropy = -np.sum(b_node * np.log(b_node), axis=-1)
    node_energy = theta * np.sum(b_node * spins, axis=-1)
    degree = model.degrees
    nodes = np.sum(node_energy - (degree - 1) * node_entropy, axis=-1)
    if not len(model.edges):                                       # isolated spins only
        return nodes[()]
    g_ij, g_ji = g[..., 0::2], g[..., 1::2]                        # (..., n_edges)
    s, t = np.meshgrid(spins, spins, indexing="ij")
    pair = (K[..., None, None] * s * t + g_ij[..., None, None] * s
            + g_ji[..., None, None] * t)                           # (..., E, 2, 2)
    log_b = pair - logsumexp(pair, axis=(-2, -1), keepdims=True)
    b_pair = np.exp(log_b)
    edge_term = np.sum(b_pair * (K[..., None, None] * s * t - log_b), axis=(-2, -1))
    return (np.sum(edge_term, axis=-1) + nodes)[()]
