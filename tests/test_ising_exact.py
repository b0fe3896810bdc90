"""helpers.ising_exact against independent computations.

Independent means: partition functions and moments by explicit Python loops
over lattice coordinates and states (math.fsum), the ring's closed form
(helpers.ising.chain_log_partition), trees (where belief propagation is exact),
the symmetric fixed point of a regular graph in closed form, finite
differences of log Z for the moments, and a generic optimiser for the
mean-field maximum.
"""

import itertools
import math

import numpy as np
import pytest
from scipy import optimize

from helpers.ising import Ising, all_spins, chain_log_partition
from helpers.ising_exact import (MAX_ROW, BetheFixedPoint, abs_magnetisation_susceptibility,
                                 belief_propagation, mean_field_coordinate_ascent,
                                 mean_magnetisation, row_transfer_matrix, specific_heat,
                                 torus_log_partition)

BETAS = np.array([0.0, 0.1, 0.25, 0.4407, 1.0, 2.0])


def loop_weights(rows, cols, beta, J, h):
    """(energy, magnetisation) of every state of the torus, by walking the grid."""
    out = []
    for s in itertools.product([1, -1], repeat=rows * cols):
        grid = np.array(s).reshape(rows, cols)
        energy = 0.0
        for r in range(rows):
            for c in range(cols):
                if cols > 1:
                    energy -= J * grid[r, c] * grid[r, (c + 1) % cols]
                if rows > 1:
                    energy -= J * grid[r, c] * grid[(r + 1) % rows, c]
                energy -= h * grid[r, c]
        out.append((energy, grid.sum()))
    return out


def loop_log_partition(rows, cols, beta, J, h):
    return math.log(math.fsum(math.exp(-beta * e) for e, _ in
                              loop_weights(rows, cols, beta, J, h)))


# ---- the transfer matrix ---------------------------------------------------------

@pytest.mark.parametrize("rows,cols", [(3, 3), (3, 4), (4, 3), (3, 1), (5, 1)])
def test_torus_log_partition_matches_loops(rows, cols):
    for beta in (0.0, 0.3, 1.1):
        assert torus_log_partition(rows, cols, beta, 0.7, 0.3) == pytest.approx(
            loop_log_partition(rows, cols, beta, 0.7, 0.3), rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("h", [0.0, 0.2, -0.5])
def test_torus_log_partition_matches_enumeration_of_the_4x4_torus(h):
    lattice = Ising.square(4, h=h)
    np.testing.assert_allclose(torus_log_partition(4, 4, BETAS, 1.0, h),
                               lattice.log_partition(BETAS), rtol=1e-13)


def test_one_column_is_the_ring():
    np.testing.assert_allclose(torus_log_partition(7, 1, BETAS, -0.8, 0.4),
                               chain_log_partition(7, BETAS, -0.8, 0.4), rtol=1e-13, atol=1e-13)


def test_transfer_matrix_entries_symmetry_and_shape():
    T = row_transfer_matrix(3, np.array([0.2, 0.5]), J=0.7, h=0.3)
    assert T.shape == (2, 8, 8)
    np.testing.assert_allclose(T, np.swapaxes(T, -1, -2), rtol=1e-15)
    rows = all_spins(3)
    a, b = rows[1], rows[6]                     # (-1, +1, +1) and (+1, -1, -1)
    W = lambda r: 0.7 * sum(r[c] * r[(c + 1) % 3] for c in range(3)) + 0.3 * sum(r)
    expected = math.exp(0.5 * (W(a) / 2 + 0.7 * np.dot(a, b) + W(b) / 2))
    assert T[1, 1, 6] == pytest.approx(expected, rel=1e-14)
    assert np.all(row_transfer_matrix(4, 0.0) == 1.0)


def test_transfer_matrix_does_not_overflow_at_low_temperature():
    value = torus_log_partition(4, 4, 200.0)
    assert value == pytest.approx(200.0 * 32 + math.log(2), rel=1e-14)


def test_transfer_matrix_refuses_bad_sides():
    for bad in (2, 0, MAX_ROW + 1):
        with pytest.raises(ValueError, match="cols"):
            row_transfer_matrix(bad, 0.3)
    for bad in (1, 2):
        with pytest.raises(ValueError, match="rows"):
            torus_log_partition(bad, 3, 0.3)
    with pytest.raises(ValueError, match="beta"):
        row_transfer_matrix(3, -0.1)


# ---- moments ---------------------------------------------------------------------

def loop_moments(beta, rows=3, cols=3, J=0.7, h=0.3):
    states = loop_weights(rows, cols, beta, J, h)
    w = np.array([math.exp(-beta * e) for e, _ in states])
    w /= w.sum()
    E = np.array([e for e, _ in states])
    M = np.array([m for _, m in states], dtype=float)
    n = rows * cols
    return (w @ M / n, beta**2 * (w @ E**2 - (w @ E) ** 2) / n,
            beta * (w @ M**2 - (w @ np.abs(M)) ** 2) / n)


def test_moments_match_loops():
    model = Ising.square(3, J=0.7, h=0.3)
    for beta in (0.0, 0.2, 0.9):
        mean, heat, chi = loop_moments(beta)
        assert mean_magnetisation(model, beta) == pytest.approx(mean, rel=1e-12, abs=1e-15)
        assert specific_heat(model, beta) == pytest.approx(heat, rel=1e-11, abs=1e-15)
        assert abs_magnetisation_susceptibility(model, beta) == pytest.approx(
            chi, rel=1e-11, abs=1e-15)


def test_specific_heat_is_the_derivative_of_the_mean_energy():
    # C = beta^2 d^2 log Z / d beta^2, by central differences of log Z
    model, beta, step = Ising.square(4, h=0.2), 0.4, 1e-4
    second = (model.log_partition(beta + step) - 2 * model.log_partition(beta)
              + model.log_partition(beta - step)) / step**2
    assert specific_heat(model, beta) == pytest.approx(beta**2 * second / 16, rel=1e-5)


def test_mean_magnetisation_vanishes_without_field_and_not_with_one():
    betas = np.linspace(0.05, 2, 30)
    assert np.max(np.abs(mean_magnetisation(Ising.square(4), betas))) < 1e-14
    assert np.all(mean_magnetisation(Ising.square(4, h=0.2), betas) > 0)


def test_moments_vectorise_and_refuse_a_non_model():
    model = Ising.square(3)
    assert specific_heat(model, np.ones((2, 3))).shape == (2, 3)
    with pytest.raises(TypeError, match="model"):
        specific_heat("lattice", 0.3)
    with pytest.raises(ValueError, match="beta"):
        abs_magnetisation_susceptibility(model, [0.1, np.nan])


# ---- coordinate ascent -----------------------------------------------------------

def test_coordinate_ascent_reaches_the_uniform_maximum_on_the_torus():
    model = Ising.square(4, h=0.1)
    rng = np.random.default_rng(3)
    betas = np.array([0.5, 1 / 3])
    m = mean_field_coordinate_ascent(model, betas[:, None], rng.uniform(-1, 1, (2, 20, 16)))
    best = model.mean_field_elbo(model.mean_field_solve(betas, 1.0), betas)
    assert np.all(model.mean_field_elbo(m, betas[:, None]) <= best[:, None] + 1e-10)
    np.testing.assert_allclose(model.self_consistency_residual(m, betas[:, None]), 0,
                               atol=1e-10)


def test_coordinate_ascent_agrees_with_a_generic_optimiser():
    model = Ising(np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]]), 4, J=0.9, h=-0.2)
    beta = 0.8
    m = mean_field_coordinate_ascent(model, beta, np.full(4, -0.5))
    result = optimize.minimize(lambda x: -model.mean_field_elbo(np.tanh(x), beta),
                               np.arctanh(np.full(4, -0.5)), method="BFGS",
                               options=dict(gtol=1e-10))
    np.testing.assert_allclose(m, np.tanh(result.x), atol=1e-6)


def test_coordinate_ascent_never_lowers_the_elbo():
    model, beta = Ising.square(3, J=1.0), 0.6
    m0 = np.random.default_rng(5).uniform(-1, 1, 9)
    previous = model.mean_field_elbo(m0, beta)
    for sweeps in range(1, 6):
        try:
            m = mean_field_coordinate_ascent(model, beta, m0, max_sweeps=sweeps)
        except RuntimeError:
            continue
        assert model.mean_field_elbo(m, beta) >= previous - 1e-12
    with pytest.raises(RuntimeError):
        mean_field_coordinate_ascent(model, beta, m0, max_sweeps=1)


def test_coordinate_ascent_refuses_bad_input():
    model = Ising.square(3)
    with pytest.raises(ValueError, match="m0"):
        mean_field_coordinate_ascent(model, 0.3, np.zeros(4))
    with pytest.raises(ValueError, match="m0"):
        mean_field_coordinate_ascent(model, 0.3, np.full(9, 1.5))
    with pytest.raises(ValueError, match="tol"):
        mean_field_coordinate_ascent(model, 0.3, np.zeros(9), tol=0.0)


# ---- belief propagation -----------------------------------------------------------

def test_belief_propagation_is_exact_on_trees():
    star = Ising(np.array([[0, 1], [0, 2], [0, 3], [3, 4]]), 5, J=0.8, h=0.3)
    path = Ising.square(1, 6, J=-1.2, h=0.5, periodic=False)
    betas = np.array([0.1, 0.5, 1.0, 2.0])
    for tree in (star, path):
        fixed = belief_propagation(tree, betas, u0=0.2)
        np.testing.assert_allclose(fixed.log_partition, tree.log_partition(betas),
                                   rtol=1e-12)
        weights = np.exp(tree.log_boltzmann(betas))
        np.testing.assert_allclose(fixed.magnetisations, weights @ tree.states, atol=1e-11)


def test_belief_propagation_on_a_ring_gives_the_leading_eigenvalue():
    # on one loop, the Bethe approximation keeps lambda_+^N and drops lambda_-^N
    betas = np.array([0.2, 0.7, 1.5])
    for J, h in ((0.6, 0.4), (-1.0, 0.0), (1.0, -0.3)):
        fixed = belief_propagation(Ising.chain(7, J=J, h=h), betas)
        K, theta = betas * J, betas * h
        lam = np.exp(K) * np.cosh(theta) + np.sqrt(np.exp(2 * K) * np.sinh(theta) ** 2
                                                   + np.exp(-2 * K))
        np.testing.assert_allclose(fixed.log_partition, 7 * np.log(lam), rtol=1e-12)


def test_symmetric_fixed_point_on_the_torus():
    # u = 0 stays put at h = 0; log Z_Bethe = N log 2 + |E| log cosh(beta J)
    betas = np.linspace(0.05, 2.0, 9)
    fixed = belief_propagation(Ising.square(4), betas)
    assert np.all(fixed.messages == 0) and fixed.iterations == 1
    np.testing.assert_allclose(fixed.log_partition,
                               16 * np.log(2) + 32 * np.log(np.cosh(betas)), rtol=1e-14)


def test_bethe_critical_temperature_on_the_torus():
    t_bethe = 2 / math.log(2)
    fixed = belief_propagation(Ising.square(4), 1 / np.array([0.97 * t_bethe, 1.03 * t_bethe]),
                               u0=1.0)
    assert fixed.magnetisations[0].min() > 0.1
    assert np.abs(fixed.magnetisations[1]).max() < 1e-6


def test_bethe_is_no_bound_on_a_frustrated_ring():
    ring, betas = Ising.chain(5, J=-1.0), np.array([0.5, 1.0, 2.0])
    fixed = belief_propagation(ring, betas)
    excess = fixed.log_partition - ring.log_partition(betas)
    np.testing.assert_allclose(excess, -np.log1p(np.tanh(-betas) ** 5), rtol=1e-11)
    assert np.all(excess > 0)


def test_large_coupling_uses_the_stable_form():
    fixed = belief_propagation(Ising.square(3), 30.0, u0=1.0)
    assert fixed.log_partition == pytest.approx(30.0 * 18, rel=1e-12)
    assert np.all(np.isfinite(fixed.messages))


def test_belief_propagation_result_and_bad_input():
    fixed = belief_propagation(Ising.square(3), np.array([0.1, 0.2]), u0=0.5, damping=1.0)
    assert isinstance(fixed, BetheFixedPoint)
    assert fixed.messages.shape == (2, 36) and fixed.magnetisations.shape == (2, 9)
    with pytest.raises(RuntimeError):
        belief_propagation(Ising.square(4), 0.5, u0=1.0, max_iter=3)
    with pytest.raises(ValueError, match="damping"):
        belief_propagation(Ising.square(3), 0.3, damping=1.5)
    with pytest.raises(ValueError, match="u0"):
        belief_propagation(Ising.square(3), 0.3, u0=np.nan)
    with pytest.raises(TypeError, match="model"):
        belief_propagation(3, 0.3)


# ---- boundaries and the less travelled paths (each against an independent value) ----

def test_transfer_matrix_with_a_field_entry_by_entry():
    # log T[a, b] / beta = W(a)/2 + J a.b + W(b)/2, W(a) = J sum_c a_c a_{c+1} + h sum_c a_c,
    # written out for rows of 3; the field makes it odd in h (log Z alone is even)
    J, h, beta = 0.7, 0.3, 0.9
    rows = all_spins(3)

    def W(a):
        return J * sum(a[c] * a[(c + 1) % 3] for c in range(3)) + h * sum(a)

    expected = np.array([[math.exp(beta * (W(a) / 2 + J * np.dot(a, b) + W(b) / 2))
                          for b in rows] for a in rows])
    np.testing.assert_allclose(row_transfer_matrix(3, beta, J=J, h=h), expected, rtol=1e-13)
    unit = np.array([[math.exp(0.5 * (sum(a[c] * a[(c + 1) % 3] for c in range(3)) / 2
                                      + np.dot(a, b)
                                      + sum(b[c] * b[(c + 1) % 3] for c in range(3)) / 2))
                      for b in rows] for a in rows])
    np.testing.assert_allclose(row_transfer_matrix(3, 0.5), unit, rtol=1e-13)   # J = 1, h = 0


def test_the_longest_row_is_allowed():
    # at beta = 0 every state weighs 1: log Z = rows * cols * log 2
    assert torus_log_partition(3, MAX_ROW, 0.0) == pytest.approx(3 * MAX_ROW * math.log(2),
                                                                 rel=1e-13)


def test_moments_of_several_temperatures_are_those_of_each_alone():
    model = Ising.square(3, J=0.8, h=0.2)
    betas = np.array([0.2, 0.6, 1.5])
    for moment in (mean_magnetisation, specific_heat, abs_magnetisation_susceptibility):
        together = moment(model, betas)
        np.testing.assert_allclose(together, [moment(model, b) for b in betas], rtol=1e-12)


def test_specific_heat_when_the_energy_hardly_varies():
    # at low temperature Var[E] << 1; by enumeration of the 3 x 3 torus
    model, beta = Ising.square(3), 3.0
    energies = model.energy(model.states)
    p = np.exp(-beta * energies - logsumexp_(-beta * energies))
    variance = p @ energies**2 - (p @ energies) ** 2
    assert variance < 1e-3
    assert specific_heat(model, beta) == pytest.approx(beta**2 * variance / 9, rel=1e-9)


def logsumexp_(x):
    top = np.max(x)
    return top + math.log(math.fsum(np.exp(x - top)))


def test_coordinate_ascent_accepts_the_corners_and_counts_sweeps():
    model = Ising.square(3)
    # m0 = +1 everywhere is allowed; at beta = 0 one sweep sets every site to 0
    at_zero = mean_field_coordinate_ascent(model, 0.0, np.ones(9), tol=1.0, max_sweeps=1)
    np.testing.assert_array_equal(at_zero, np.zeros(9))       # moved exactly 1.0 = tol
    with pytest.raises(RuntimeError):
        mean_field_coordinate_ascent(model, 0.0, np.ones(9), tol=0.5, max_sweeps=1)
    # one start for several temperatures: the result carries the temperatures' axis
    betas = np.array([0.1, 0.2])
    both = mean_field_coordinate_ascent(model, betas, np.full(9, 0.3))
    assert both.shape == (2, 9)
    np.testing.assert_allclose(both, 0.0, atol=1e-10)         # above T_c: only m = 0


def test_belief_propagation_counts_updates_and_stops_at_max_iter():
    model = Ising.square(3)
    # beta = 0: every new message is 0, so the first change is |0 - u0| = u0 exactly
    once = belief_propagation(model, 0.0, u0=0.25, tol=0.25, max_iter=1)
    assert once.iterations == 1
    with pytest.raises(RuntimeError):                          # 0.5 > 0.3 after one update
        belief_propagation(model, 0.0, u0=0.5, tol=0.3, max_iter=1)


def test_belief_propagation_with_no_edge_is_the_single_spin():
    lone = Ising(np.zeros((0, 2), dtype=int), 1, h=0.7)
    fixed = belief_propagation(lone, np.array([0.5, 2.0]))
    np.testing.assert_allclose(fixed.log_partition, np.log(2 * np.cosh([0.35, 1.4])),
                               rtol=1e-14)


def test_strong_coupling_is_exact_on_a_tree():
    # K = beta J >= 10 takes the log-cosh form of the message; still exact on a path
    path = Ising.square(1, 5, J=1.0, h=0.05, periodic=False)
    for beta in (10.0, 12.0):
        fixed = belief_propagation(path, beta, u0=0.5)
        assert fixed.log_partition == pytest.approx(float(path.log_partition(beta)),
                                                    rel=1e-12)


def test_a_lone_spin_and_no_temperature_at_all():
    lone = Ising(np.zeros((0, 2), dtype=int), 1, h=0.7)
    m = mean_field_coordinate_ascent(lone, np.array([0.5, 2.0]), [0.0])
    np.testing.assert_allclose(m[:, 0], np.tanh([0.35, 1.4]), rtol=1e-14)
    # vectorised over an empty array of temperatures: empty results, no error
    model = Ising.square(3)
    assert mean_field_coordinate_ascent(model, np.array([]), np.zeros(9)).shape == (0, 9)
    with pytest.raises(ValueError, match="beta must hold at least one"):
        belief_propagation(model, np.array([]))
