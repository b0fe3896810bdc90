"""helpers.ising against independent computations.

Independent means: energies and partition functions by explicit Python loops
over lattice coordinates and states (math.fsum of exponentials), hand-derived
closed forms for two spins, the transfer matrix of the periodic chain both in
closed form and as a NumPy matrix power, scipy's entropy for divergences,
finite differences for the Hessian and a scalar root finder for the uniform
mean-field solution.  Hypothesis checks the laws (bound, gap = KL) on random
inputs; every ValueError path is exercised.
"""

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from helpers.ising import (MAX_ENUMERATED, Ising, all_spins, binary_entropy,
                           chain_log_partition, lattice_edges)

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)
SQUARE_3 = Ising.square(3, J=0.7, h=0.3)
SQUARE_4 = Ising.square(4)
betas = st.floats(0.0, 2.0)
fields = st.floats(-1.0, 1.0)


# ---- independent reference computations ----------------------------------------

def loop_energy(spins, rows, cols, J, h, periodic=True):
    """E(s) by walking the lattice: right and down neighbours of every site."""
    grid = np.asarray(spins).reshape(rows, cols)
    energy = 0.0
    for r in range(rows):
        for c in range(cols):
            for dr, dc in ((0, 1), (1, 0)):
                r2, c2 = r + dr, c + dc
                if periodic:
                    r2, c2 = r2 % rows, c2 % cols
                    if (r2, c2) == (r, c):           # a side of length 1: no bond
                        continue
                elif r2 >= rows or c2 >= cols:
                    continue
                energy -= J * grid[r, c] * grid[r2, c2]
            energy -= h * grid[r, c]
    return energy


def loop_states(n):
    return [np.array(s) for s in itertools.product([1, -1], repeat=n)]


def loop_log_partition(rows, cols, beta, J, h, periodic=True):
    return math.log(math.fsum(math.exp(-beta * loop_energy(s, rows, cols, J, h, periodic))
                              for s in loop_states(rows * cols)))


def ring_by_matrix_power(n, beta, J, h):
    T = np.array([[np.exp(beta * (J + h)), np.exp(-beta * J)],
                  [np.exp(-beta * J), np.exp(beta * (J - h))]])
    return math.log(np.trace(np.linalg.matrix_power(T, n)))


def match_states(model, values_by_loop_state):
    """Reorder values given in itertools.product order into model.states order."""
    index = {tuple(s): k for k, s in enumerate(loop_states(model.n_spins))}
    return np.array([values_by_loop_state[index[tuple(s)]] for s in model.states])


# ---- lattices and states --------------------------------------------------------

def test_periodic_square_lattice_neighbours():
    for side in (3, 4, 5):
        edges = lattice_edges(side, side)
        assert edges.shape == (2 * side * side, 2)
        pairs = {frozenset(e) for e in edges.tolist()}
        assert len(pairs) == len(edges)                      # no bond twice
        for r, c in itertools.product(range(side), repeat=2):
            i = r * side + c
            expected = {((r + dr) % side) * side + (c + dc) % side
                        for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0))}
            assert {j for e in pairs if i in e for j in e if j != i} == expected


def test_open_lattices_and_the_chain():
    assert sorted(map(sorted, lattice_edges(2, 2, periodic=False).tolist())) == [
        [0, 1], [0, 2], [1, 3], [2, 3]]                      # a square: a ring of 4
    assert lattice_edges(2, 3, periodic=False).shape == (7, 2)
    assert lattice_edges(1, 5).tolist() == [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]
    assert lattice_edges(1, 1).shape == (0, 2)
    assert np.all(SQUARE_4.degrees == 4) and np.all(Ising.chain(7).degrees == 2)


def test_all_spins_lists_every_state_once_and_flips_by_reversal():
    s = all_spins(5)
    assert s.shape == (32, 5) and set(np.unique(s)) == {-1, 1}
    assert len({tuple(row) for row in s.tolist()}) == 32
    assert np.all(s[0] == 1) and np.all(s[-1] == -1)
    assert np.array_equal(s[::-1], -s)


def test_energy_matches_loops_on_2x2_and_3x3():
    tiny = Ising.square(2, J=1.3, h=-0.4, periodic=False)
    for s in loop_states(4):
        assert tiny.energy(s) == pytest.approx(loop_energy(s, 2, 2, 1.3, -0.4, False),
                                               abs=1e-12)
    for s in loop_states(9):
        assert SQUARE_3.energy(s) == pytest.approx(loop_energy(s, 3, 3, 0.7, 0.3),
                                                   abs=1e-12)
    batch = SQUARE_3.energy(SQUARE_3.states.reshape(8, 64, 9))
    assert batch.shape == (8, 64)


def test_two_spins_by_hand():
    beta, J, h = 0.8, 1.1, 0.35
    pair = Ising(np.array([[0, 1]]), 2, J, h)
    Z = 2 * math.exp(beta * J) * math.cosh(2 * beta * h) + 2 * math.exp(-beta * J)
    assert pair.log_partition(beta) == pytest.approx(math.log(Z), rel=1e-14)
    # m1 = m2 = m: E_q[-beta E] = beta (J m^2 + 2 h m), plus two binary entropies
    m = 0.3
    entropy = -2 * (0.65 * math.log(0.65) + 0.35 * math.log(0.35))
    assert pair.mean_field_elbo([m, m], beta) == pytest.approx(
        beta * (J * m**2 + 2 * h * m) + entropy, rel=1e-14)


# ---- exact quantities -----------------------------------------------------------

@settings(max_examples=15, deadline=None, derandomize=True)
@given(beta=betas, h=fields)
def test_log_partition_matches_loops(beta, h):
    model = Ising.square(3, J=0.7, h=h)
    assert model.log_partition(beta) == pytest.approx(
        loop_log_partition(3, 3, beta, 0.7, h), rel=1e-12, abs=1e-12)
    tiny = Ising.square(2, J=-0.9, h=h, periodic=False)
    assert tiny.log_partition(beta) == pytest.approx(
        loop_log_partition(2, 2, beta, -0.9, h, False), rel=1e-12, abs=1e-12)


@SETTINGS
@given(n=st.integers(3, 12), beta=st.floats(0.0, 3.0), J=st.floats(-1.5, 1.5), h=fields)
def test_chain_transfer_matrix_three_ways(n, beta, J, h):
    closed = chain_log_partition(n, beta, J, h)
    assert closed == pytest.approx(ring_by_matrix_power(n, beta, J, h), rel=1e-11)
    assert Ising.chain(n, J=J, h=h).log_partition(beta) == pytest.approx(closed, rel=1e-11)


def test_chain_log_partition_broadcasts_and_handles_extremes():
    betas_ = np.array([0.0, 0.5, 50.0])
    values = chain_log_partition(10, betas_, J=1.0)
    assert values.shape == (3,) and values[0] == pytest.approx(10 * math.log(2))
    assert values[2] == pytest.approx(50.0 * 10 + math.log(2), rel=1e-12)   # two ground states
    assert np.isfinite(chain_log_partition(10, 50.0, J=-1.0))


def test_log_partition_vectorises_and_square_4_is_fast():
    start = time.process_time()            # CPU time: not the other processes' share of the CPU
    model = Ising.square(4, h=0.1)
    values = model.log_partition(np.linspace(0, 2, 200))
    assert time.process_time() - start < 2.0
    assert values.shape == (200,) and values[0] == pytest.approx(16 * math.log(2))
    grid = model.log_partition(np.ones((3, 4)))
    assert grid.shape == (3, 4) and np.allclose(grid, model.log_partition(1.0), rtol=1e-15)


def test_log_boltzmann_and_magnetisation_match_loops():
    beta = 0.45
    weights = np.array([math.exp(-beta * loop_energy(s, 3, 3, 0.7, 0.3))
                        for s in loop_states(9)])
    p_loop = weights / math.fsum(weights)
    p = np.exp(SQUARE_3.log_boltzmann(beta))
    np.testing.assert_allclose(p, match_states(SQUARE_3, p_loop), rtol=1e-12)
    mean_abs = math.fsum(pk * abs(s.sum()) for pk, s in zip(p_loop, loop_states(9))) / 9
    assert SQUARE_3.mean_abs_magnetisation(beta) == pytest.approx(mean_abs, rel=1e-12)
    assert SQUARE_3.log_boltzmann(np.array([0.1, 0.2])).shape == (2, 512)


def test_kl_and_elbo_match_scipy_for_any_q():
    rng = np.random.default_rng(7)
    q = rng.dirichlet(np.ones(512) * 0.5, size=4)
    beta = 0.6
    p = np.exp(SQUARE_3.log_boltzmann(beta))
    kl = SQUARE_3.kl_to_boltzmann(np.log(q), beta)
    np.testing.assert_allclose(kl, [stats.entropy(qk, p) for qk in q], rtol=1e-11)
    minus_beta_E = -beta * SQUARE_3.energy(SQUARE_3.states)
    elbo = SQUARE_3.elbo_exact(np.log(q), beta)
    np.testing.assert_allclose(elbo, [np.sum(qk * minus_beta_E) + stats.entropy(qk)
                                      for qk in q], rtol=1e-12)
    np.testing.assert_allclose(elbo + kl, SQUARE_3.log_partition(beta), rtol=1e-12)


def test_q_with_zeros_and_q_equal_p():
    beta = 0.9
    log_p = SQUARE_3.log_boltzmann(beta)
    assert SQUARE_3.kl_to_boltzmann(log_p, beta) == pytest.approx(0.0, abs=1e-13)
    assert SQUARE_3.elbo_exact(log_p, beta) == pytest.approx(
        SQUARE_3.log_partition(beta), rel=1e-13)
    point = np.full(512, -np.inf)
    point[0] = 0.0                                       # q = all spins up
    assert SQUARE_3.elbo_exact(point, beta) == pytest.approx(
        -beta * SQUARE_3.energy(np.ones(9)), rel=1e-14)
    assert SQUARE_3.kl_to_boltzmann(point, beta) == pytest.approx(-log_p[0], rel=1e-13)


# ---- mean field -----------------------------------------------------------------

magnetisations = st.lists(st.floats(-1.0, 1.0), min_size=9, max_size=9)


@SETTINGS
@given(m=magnetisations, beta=betas)
def test_product_distribution_marginals(m, beta):
    m = np.array(m)
    q = np.exp(SQUARE_3.product_log_prob(m))
    s = SQUARE_3.states.astype(float)
    assert q.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(q @ s, m, atol=1e-12)
    second = s.T @ (q[:, None] * s)
    np.testing.assert_allclose(second - np.diag(np.diag(second)),
                               np.outer(m, m) - np.diag(m**2), atol=1e-12)
    loop = [math.prod((1 + mi * si) / 2 for mi, si in zip(m, state))
            for state in loop_states(9)]
    np.testing.assert_allclose(q, match_states(SQUARE_3, loop), atol=1e-14)


@SETTINGS
@given(m=magnetisations, beta=betas)
def test_mean_field_elbo_is_the_exact_elbo_of_the_product_and_a_bound(m, beta):
    m = np.array(m)
    log_q = SQUARE_3.product_log_prob(m)
    closed = SQUARE_3.mean_field_elbo(m, beta)
    assert closed == pytest.approx(SQUARE_3.elbo_exact(log_q, beta), rel=1e-11, abs=1e-11)
    log_z = SQUARE_3.log_partition(beta)
    assert closed <= log_z + 1e-12
    assert log_z - closed == pytest.approx(SQUARE_3.kl_to_boltzmann(log_q, beta),
                                           rel=1e-9, abs=1e-10)


def test_mean_field_map_and_residual_match_loops():
    rng = np.random.default_rng(3)
    m, beta = rng.uniform(-1, 1, 9), 0.7
    mapped = SQUARE_3.mean_field_map(m, beta)
    for r, c in itertools.product(range(3), repeat=2):
        neighbours = [((r + dr) % 3) * 3 + (c + dc) % 3
                      for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0))]
        expected = math.tanh(beta * (0.7 * sum(m[j] for j in neighbours) + 0.3))
        assert mapped[r * 3 + c] == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(SQUARE_3.self_consistency_residual(m, beta), m - mapped)


def test_hessian_matches_finite_differences():
    rng = np.random.default_rng(4)
    m, beta, step = rng.uniform(-0.8, 0.8, 9), 0.6, 1e-4
    numeric = np.empty((9, 9))
    for i, j in itertools.product(range(9), repeat=2):
        def f(di, dj):
            shifted = m.copy()
            shifted[i] += di
            shifted[j] += dj
            return SQUARE_3.mean_field_elbo(shifted, beta)
        numeric[i, j] = (f(step, step) - f(step, -step) - f(-step, step)
                         + f(-step, -step)) / (4 * step**2)
    np.testing.assert_allclose(SQUARE_3.mean_field_hessian(m, beta), numeric, atol=1e-6)


@pytest.mark.parametrize("T", [1.0, 2.5, 3.5, 4.5, 8.0])
def test_solver_matches_the_scalar_equation_on_the_torus(T):
    m = SQUARE_4.mean_field_solve(1 / T, 1.0)
    assert np.abs(SQUARE_4.self_consistency_residual(m, 1 / T)).max() <= 1e-12
    if T < 4:       # the positive root of m = tanh(4 m / T)
        root = optimize.brentq(lambda x: math.tanh(4 * x / T) - x, 1e-3, 1.0, xtol=1e-15)
        np.testing.assert_allclose(m, root, rtol=1e-9)
    else:
        np.testing.assert_allclose(m, 0.0, atol=1e-9)


def test_solver_in_a_field_and_on_a_batch():
    model = Ising.square(4, h=0.2)
    temps = np.array([1.0, 3.0, 4.0, 6.0])
    m = model.mean_field_solve(1 / temps, np.zeros(16))
    assert m.shape == (4, 16) and np.all(m > 0)
    for mk, T in zip(m, temps):
        root = optimize.brentq(lambda x: math.tanh((4 * x + 0.2) / T) - x, 0.0, 1.0,
                               xtol=1e-15)
        np.testing.assert_allclose(mk, root, rtol=1e-9)


def test_symmetric_start_stays_at_the_saddle():
    m = SQUARE_4.mean_field_solve(1 / 3, 0.0)
    assert np.all(m == 0)
    eigenvalues = np.linalg.eigvalsh(SQUARE_4.mean_field_hessian(m, 1 / 3))
    assert eigenvalues.max() == pytest.approx(4 / 3 - 1) and eigenvalues.min() < 0


def test_solver_reports_slow_convergence():
    with pytest.raises(RuntimeError, match="no fixed point"):
        SQUARE_4.mean_field_solve(0.25, 1.0, max_iter=50)


def test_binary_entropy():
    for m in (-0.9, -0.2, 0.0, 0.5):
        assert binary_entropy(m) == pytest.approx(stats.entropy([(1 + m) / 2, (1 - m) / 2]),
                                                  rel=1e-14)
    assert binary_entropy(0.0) == pytest.approx(math.log(2))
    assert np.all(binary_entropy(np.array([-1.0, 1.0])) == 0)


# ---- bad input --------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: lattice_edges(0, 3), "rows must be an integer"),
    (lambda: lattice_edges(3, 2.0), "cols must be an integer"),
    (lambda: lattice_edges(2, 4), "periodic boundaries"),
    (lambda: all_spins(MAX_ENUMERATED + 1), "at most"),
    (lambda: all_spins(True), "n must be an integer"),
    (lambda: binary_entropy(1.5), r"\[-1, 1\]"),
    (lambda: binary_entropy(np.nan), "finite"),
    (lambda: chain_log_partition(2, 1.0), "n must be an integer >= 3"),
    (lambda: chain_log_partition(5, -1.0), "beta must be non-negative"),
    (lambda: chain_log_partition(5, 1.0, J=[1, 2]), "J must be a single number"),
    (lambda: chain_log_partition(5, "hot"), "beta must be real numbers"),
    (lambda: Ising(np.array([[0, 1]]), 0), "n_spins must be an integer"),
    (lambda: Ising(np.array([0, 1]), 2), "shape \\(n_edges, 2\\)"),
    (lambda: Ising(np.array([[0.0, 1.0]]), 2), "integer array"),
    (lambda: Ising(np.array([[0, 2]]), 2), "join sites in 0..1"),
    (lambda: Ising(np.array([[1, 1]]), 2), "self-loop"),
    (lambda: Ising(np.array([[0, 1]]), 2, h=np.inf), "h must be finite"),
    (lambda: Ising.chain(2), "n must be an integer >= 3"),
    (lambda: SQUARE_3.energy(np.ones(8)), "spins must have last axis"),
    (lambda: SQUARE_3.energy(np.zeros(9)), "spins must be \\+1 or -1"),
    (lambda: SQUARE_3.log_partition(-0.1), "beta must be non-negative"),
    (lambda: SQUARE_3.mean_field_elbo(np.ones(8), 1.0), "m must have last axis"),
    (lambda: SQUARE_3.mean_field_elbo(np.full(9, 1.1), 1.0), r"m must lie in \[-1, 1\]"),
    (lambda: SQUARE_3.mean_field_hessian(np.ones(9), 1.0), "open interval"),
    (lambda: SQUARE_3.product_log_prob(np.ones(3)), "m must have last axis"),
    (lambda: SQUARE_3.elbo_exact(np.zeros(10), 1.0), "last axis of length 2\\^n_spins"),
    (lambda: SQUARE_3.elbo_exact(np.zeros(512), 1.0), "normalised"),
    (lambda: SQUARE_3.kl_to_boltzmann(np.full(512, np.nan), 1.0), "log-probabilities"),
    (lambda: SQUARE_3.mean_field_solve(1.0, 0.5, damping=0), "damping must lie"),
    (lambda: SQUARE_3.mean_field_solve(1.0, 0.5, tol=0), "tol must be positive"),
    (lambda: SQUARE_3.mean_field_solve(1.0, 0.5, max_iter=0), "max_iter must be"),
    (lambda: SQUARE_3.mean_field_solve(1.0, 2.0), r"m0 must lie in \[-1, 1\]"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- boundaries and edge cases (mutation testing) ------------------------------------

def test_lattices_with_a_side_of_one_and_their_dtype():
    """A column of n sites is the ring (periodic) or the path (open), like a row."""
    ring = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]
    assert lattice_edges(5, 1).tolist() == ring
    assert lattice_edges(5, 1, periodic=False).tolist() == ring[:-1]
    assert lattice_edges(1, 5, periodic=False).tolist() == ring[:-1]
    for edges in (lattice_edges(1, 1), lattice_edges(3, 3), lattice_edges(2, 3, periodic=False)):
        assert edges.dtype == np.int64 and edges.ndim == 2 and edges.shape[1] == 2


def test_all_spins_order_dtype_and_the_enumeration_limit(monkeypatch):
    s = all_spins(3)
    assert s.dtype == np.int8
    # row k = binary digits of k, bit i = 1 meaning s_i = -1
    assert s.tolist() == [[1 - 2 * ((k >> i) & 1) for i in range(3)] for k in range(8)]
    import helpers.ising as ising
    monkeypatch.setattr(ising, "MAX_ENUMERATED", 3)
    assert ising.all_spins(3).shape == (8, 3)                 # n = MAX_ENUMERATED is allowed
    with pytest.raises(ValueError, match="n must be at most 3 to enumerate 2\\^n states, got 4"):
        ising.all_spins(4)


def test_free_spins_without_edges():
    """No bonds: log Z = n log(2 cosh(beta h)), each spin independent."""
    for edges, n in (([], 3), (np.zeros((0, 2)), 2), (lattice_edges(1, 1), 1)):
        model = Ising(edges, n, J=0.5, h=0.4)
        assert model.edges.shape == (0, 2) and model.edges.dtype == np.int64
        assert model.log_partition(0.7) == pytest.approx(n * math.log(2 * math.cosh(0.28)),
                                                         rel=1e-14)
    with pytest.raises(ValueError, match="edges must join sites in 0..2, got -1..1"):
        Ising(np.array([[-1, 1]]), 3)


def test_mean_abs_magnetisation_vectorises_over_beta():
    betas_ = np.array([0.1, 0.45, 1.3])
    values = SQUARE_3.mean_abs_magnetisation(betas_)
    assert values.shape == (3,)
    for value, beta in zip(values, betas_):
        assert value == pytest.approx(SQUARE_3.mean_abs_magnetisation(beta), rel=1e-13)
    grid = SQUARE_3.mean_abs_magnetisation(np.full((2, 9), 0.45))     # 9 betas, 9 spins
    np.testing.assert_allclose(grid, SQUARE_3.mean_abs_magnetisation(0.45), rtol=1e-13)


def test_product_log_prob_with_pinned_sites():
    """q(s) = prod_i (1 + m_i s_i) / 2 by a loop, with some m_i = +-1."""
    model = Ising.chain(4)
    for m in ([1.0, 0.3, -1.0, -0.2], [1.0, 1.0, 1.0, 1.0], [-1.0, 0.5, 0.5, 0.0],
              [[0.1, -1.0, 0.4, 1.0], [0.2, 0.3, -0.4, 0.5]]):
        m = np.array(m)
        with np.errstate(divide="ignore"):
            expected = np.log([[math.prod((1 + mi * si) / 2 for mi, si in zip(row, s))
                                for s in model.states] for row in np.atleast_2d(m)])
        np.testing.assert_allclose(model.product_log_prob(m), expected.reshape(
            m.shape[:-1] + (16,)), rtol=1e-13, atol=1e-15)


def test_log_q_normalisation_and_overflow_messages():
    q = np.full(512, 1 / 512)
    with pytest.raises(ValueError, match="normalised"):
        SQUARE_3.elbo_exact(np.log(q * (1 + 1e-6)), 1.0)      # off by 1e-6 > atol 1e-9
    assert np.isfinite(SQUARE_3.elbo_exact(np.log(q * (1 + 1e-12)), 1.0))
    big = np.log(q)
    big[0] = 800.0                                             # exp overflows: not normalised
    with pytest.raises(ValueError, match="log_q must be normalised"):
        SQUARE_3.kl_to_boltzmann(big, 1.0)
    big[0] = np.inf
    with pytest.raises(ValueError, match="log_q must be log-probabilities"):
        SQUARE_3.kl_to_boltzmann(big, 1.0)


def test_solver_boundaries():
    ring = Ising.chain(3)
    # beta = 0: the map sends everything to tanh(0) = 0, residual |m| = 0.25 <= tol: done at once
    np.testing.assert_array_equal(ring.mean_field_solve(0.0, 0.25, tol=0.25), 0.25)
    np.testing.assert_array_equal(ring.mean_field_solve(0.0, 0.25, tol=0.2), 0.125)
    # damping = 1 is plain iteration: one step reaches the fixed point 0 from any start
    np.testing.assert_array_equal(ring.mean_field_solve(0.0, 0.7, damping=1.0), 0.0)
    np.testing.assert_array_equal(ring.mean_field_solve(0.5, 0.0, max_iter=1), 0.0)


def test_chain_and_square_defaults_are_J_1_and_h_0():
    for model in (Ising.chain(5), Ising.square(3)):
        assert model.J == 1.0 and model.h == 0.0
    assert Ising.chain(5).log_partition(0.8) == pytest.approx(
        ring_by_matrix_power(5, 0.8, 1.0, 0.0), rel=1e-13)


def test_model_fields_are_normalised_and_named_in_errors():
    model = Ising(np.array([[0, 1]], dtype=np.int32), np.int64(2), J=1, h=np.array(0.5))
    assert type(model.n_spins) is int and model.n_spins == 2
    assert type(model.J) is float and type(model.h) is float and model.h == 0.5
    assert model.edges.dtype == np.int64
    with pytest.raises(ValueError, match="^J must be finite"):
        Ising(np.array([[0, 1]]), 2, J=np.nan)
    with pytest.raises(ValueError, match="^h must be a single number"):
        Ising(np.array([[0, 1]]), 2, h=[0.1, 0.2])


def test_mean_field_elbo_on_a_batch_of_magnetisations():
    rng = np.random.default_rng(12)
    m, betas_ = rng.uniform(-0.9, 0.9, size=(3, 9)), np.array([0.2, 0.7, 1.1])
    batch = SQUARE_3.mean_field_elbo(m, betas_)
    assert batch.shape == (3,)
    for value, row, beta in zip(batch, m, betas_):
        assert value == pytest.approx(SQUARE_3.elbo_exact(SQUARE_3.product_log_prob(row), beta),
                                      rel=1e-12)


def test_log_q_must_sum_to_one_within_1e9():
    q = np.full(512, 1 / 512)
    with pytest.raises(ValueError, match="normalised"):
        SQUARE_3.elbo_exact(np.log(q * (1 + 5e-9)), 1.0)      # 5e-9 off: above atol = 1e-9


def test_log_q_of_strings_is_refused_as_not_real():
    with pytest.raises(ValueError, match="^log_q must be real numbers"):
        SQUARE_3.elbo_exact(["a"] * 512, 1.0)
