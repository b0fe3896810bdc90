"""helpers.finite: exact stand-ins and random distributions."""

import numpy as np
import pytest
import sympy as sp

from helpers.finite import (K, indexed_weights, k, kl_exact, probability_symbols,
                            random_distributions, random_rational_distribution,
                            state_sum)


def test_probability_symbols_constraint_sums_to_one():
    p, where = probability_symbols("p", 4)
    assert len(p) == 4 and all(s.is_positive for s in p)
    assert sp.simplify(sum(p).subs(where)) == 1


def test_random_distributions_are_on_the_simplex():
    w = random_distributions(np.random.default_rng(0), 500, 7, concentration=0.2)
    assert w.shape == (500, 7) and np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_random_rational_distribution_is_exact_and_positive():
    rng = np.random.default_rng(3)
    for K in (2, 5, 30):
        w = random_rational_distribution(rng, K, denominator=1000)
        assert len(w) == K and sum(w) == 1 and all(v > 0 for v in w)


def test_indexed_weights_sum_to_their_total():
    w, W, where = indexed_weights("w", "W")
    assert w[k].is_positive and W.is_positive
    assert where == {W: state_sum(w[k])}
    # at K = 3 the normalised weights are a distribution: they sum to one
    total = state_sum(w[k] / W).subs(where).subs(K, 3).doit()
    assert sp.simplify(total) == 1
    assert state_sum(w[k]).subs(K, 2).doit() == w[1] + w[2]


@pytest.mark.parametrize("call, message", [
    (lambda: indexed_weights("w", "w"), "different names"),
    (lambda: indexed_weights("", "W"), "non-empty"),
    (lambda: probability_symbols("p", 1), "K must be"),
    (lambda: random_distributions(np.random.default_rng(0), 0, 3), "n must be"),
    (lambda: random_distributions(np.random.default_rng(0), 5, 3, concentration=0), "concentration"),
    (lambda: random_rational_distribution(np.random.default_rng(0), 5, denominator=3), "denominator"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_kl_exact_is_zero_for_equal_and_positive_otherwise():
    q = [sp.Rational(1, 4), sp.Rational(3, 4)]
    p = [sp.Rational(1, 2), sp.Rational(1, 2)]
    assert kl_exact(q, q) == 0
    assert float(kl_exact(q, p)) == pytest.approx(0.25 * np.log(0.5) + 0.75 * np.log(1.5), abs=0)
    with pytest.raises(ValueError, match="same positive length"):
        kl_exact(q, p + [0])


def test_rational_distribution_at_its_smallest_denominator():
    # denominator = K leaves one way to cut: every part 1/K
    parts = random_rational_distribution(np.random.default_rng(1), 5, denominator=5)
    assert parts == [sp.Rational(1, 5)] * 5
    many = random_rational_distribution(np.random.default_rng(2), 900, denominator=1000)
    assert sum(many) == 1 and min(many) > 0 and len(many) == 900      # distinct cuts


def test_kl_exact_refuses_what_is_not_a_probability():
    assert kl_exact([1], [1]) == 0                                  # 1 itself is allowed
    for q, words in ((3, "q must be a sequence"), ([None], "q must hold numbers"),
                     (["abc"], "q must hold numbers"), ([1.5], r"q must hold probabilities"),
                     ([-0.5, 1.5], "q must hold probabilities")):
        with pytest.raises((TypeError, ValueError), match=words):
            kl_exact(q, [0.5, 0.5][:len(q) if hasattr(q, "__len__") else 1])


def test_random_distributions_default_to_the_uniform_dirichlet():
    default = random_distributions(np.random.default_rng(3), 4, 3)
    uniform = random_distributions(np.random.default_rng(3), 4, 3, concentration=1.0)
    assert np.array_equal(default, uniform)
