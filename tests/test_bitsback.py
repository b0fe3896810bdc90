"""helpers.bitsback: the exact-integer rANS coder and bits-back coding."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from helpers.bitsback import (bits_back_decode, bits_back_encode, pop, push,
                              rounding_bound, state_bits)
from helpers.models import DiscreteLatent

PRIOR = [2, 5, 3]                              # p(z) = (0.2, 0.5, 0.3)
LIKELIHOOD = [[1, 9], [6, 4], [5, 5]]          # p(x | z), one row per z
ENCODER = [[1, 6, 3], [5, 3, 2]]               # q(z | x), one row per x
POSTERIOR = [[2, 30, 15], [18, 20, 15]]        # p(z | x) = p(x, z) / p(x), exactly


def test_push_and_pop_by_hand():
    # push 1 under (2, 5, 3): (7 // 5) * 10 + 2 + 7 % 5 = 14
    assert push(7, 1, PRIOR) == 14
    assert push(7, 0, PRIOR) == 31             # (7 // 2) * 10 + 0 + 1
    assert push(7, 2, PRIOR) == 28             # (7 // 3) * 10 + 7 + 1
    assert pop(14, PRIOR) == (1, 7)            # slot 4 lies in 2..6
    assert pop(31, PRIOR) == (0, 7)
    assert pop(28, PRIOR) == (2, 7)


def test_pop_inverts_push_and_every_state_decodes():
    tables = ([2, 5, 3], [1, 1], [7], [18, 20, 15], [3, 1, 4, 1, 5])
    for freqs in tables:
        for state in itertools.chain(range(1, 300), [2**70 + 12345, 3**90]):
            for symbol in range(len(freqs)):
                assert pop(push(state, symbol, freqs), freqs) == (symbol, state)
        # push is onto the states >= its smallest image: pop then push returns the state
        for state in range(sum(freqs), 500):
            symbol, previous = pop(state, freqs)
            assert push(previous, symbol, freqs) == state


def test_push_lengthens_the_state_by_the_ideal_length_within_the_bound():
    for freqs in ([2, 5, 3], [1, 9], [18, 20, 15]):
        total = sum(freqs)
        for state in range(max(freqs) + 1, 3000, 7):
            for symbol, f in enumerate(freqs):
                pushed = push(state, symbol, freqs)
                error = math.log2(pushed) - math.log2(state) - math.log2(total / f)
                assert abs(error) <= rounding_bound(state, freqs) * (1 + 1e-9) + 1e-13


def test_the_rounding_bound_is_not_loose_by_much():
    # at state 11 under (1, 9), pushing 0 gives 110: exact; pushing 1 gives
    # (11 // 9) * 10 + 1 + 2 = 13 against the ideal 11 * 10 / 9 = 12.22...
    assert push(11, 1, [1, 9]) == 13
    error = math.log2(13) - math.log2(11 * 10 / 9)
    assert 0 < error <= rounding_bound(11, [1, 9])
    assert rounding_bound(11, [1, 9]) == pytest.approx(-math.log2(1 - 9 / 11), rel=1e-12)
    assert rounding_bound(2**64, [1, 9]) == pytest.approx(9 / 2**64 / math.log(2), rel=1e-9)


def test_code_length_of_a_long_push_sequence_matches_exact_fractions():
    rng = np.random.default_rng(4)
    freqs, state = [3, 1, 4, 1, 5], 2**64 + 17
    start, product, slack = state, Fraction(1), 0.0
    for symbol in rng.integers(0, 5, size=2000):
        slack += rounding_bound(state, freqs)
        state = push(state, int(symbol), freqs)
        product *= Fraction(sum(freqs), freqs[int(symbol)])
    ideal = state_bits(product.numerator) - state_bits(product.denominator)
    measured = state_bits(state) - state_bits(start)
    assert abs(measured - ideal) <= slack + 1e-12 * ideal
    assert ideal > 4000                       # 2000 symbols at > 1.3 bits each


def test_state_bits_of_huge_states():
    assert state_bits(1) == 0.0
    assert state_bits(2**5000 * 3) == pytest.approx(5000 + math.log2(3), rel=1e-15)
    assert state_bits(7**2000) == pytest.approx(2000 * math.log2(7), rel=1e-14)


def test_bits_back_round_trip_restores_messages_and_initial_state():
    rng = np.random.default_rng(0)
    messages = [int(m) for m in rng.integers(0, 2, size=300)]
    for encoder in (ENCODER, POSTERIOR):
        run = bits_back_encode(messages, PRIOR, LIKELIHOOD, encoder, 2**64 + 5)
        decoded, initial = bits_back_decode(run.final, len(messages), PRIOR, LIKELIHOOD,
                                            encoder)
        assert decoded == messages and initial == 2**64 + 5
        assert math.fsum(run.lengths) == pytest.approx(run.total_bits, rel=1e-12)
        assert abs(run.total_bits - math.fsum(run.ideal)) <= run.slack + 1e-9
        assert 0 < run.slack < 1e-15


def test_bits_back_ideal_lengths_from_fractions():
    run = bits_back_encode([1, 0, 1], PRIOR, LIKELIHOOD, ENCODER, 2**40 + 3)
    for message, z, ideal in zip([1, 0, 1], run.latents, run.ideal):
        q = Fraction(ENCODER[message][z], 10)
        joint = Fraction(PRIOR[z], 10) * Fraction(LIKELIHOOD[z][message], 10)
        assert ideal == pytest.approx(math.log2(q / joint), rel=1e-14)


def test_posterior_encoder_costs_exactly_minus_log2_evidence_per_message():
    for start in range(2**64, 2**64 + 53):      # every slot of the 53-slot table
        for message, evidence in ((0, 0.47), (1, 0.53)):
            run = bits_back_encode([message], PRIOR, LIKELIHOOD, POSTERIOR, start)
            assert run.total_bits == pytest.approx(-math.log2(evidence), rel=1e-12)


def test_average_over_a_period_of_starting_states_is_minus_elbo():
    model = DiscreteLatent(prior=[0.2, 0.5, 0.3],
                           likelihood=[[0.1, 0.9], [0.6, 0.4], [0.5, 0.5]])
    for message in (0, 1):
        q = np.array(ENCODER[message]) / 10
        lengths = [bits_back_encode([message], PRIOR, LIKELIHOOD, ENCODER, start).total_bits
                   for start in range(2**64, 2**64 + 10)]     # each slot of q once
        assert np.mean(lengths) == pytest.approx(-model.elbo(message, q) / math.log(2),
                                                 rel=1e-12)
        # and not -log2 p(x): this q is not the posterior
        assert np.mean(lengths) > -model.log_evidence(message) / math.log(2) + 0.01


@pytest.mark.parametrize("call", [
    lambda: push(7, 1, [2, 0, 3]),
    lambda: push(7, 1, [2, 5.0, 3]),
    lambda: push(7, 1, []),
    lambda: push(0, 1, [2, 5, 3]),
    lambda: push(7, 3, [2, 5, 3]),
    lambda: push(7, -1, [2, 5, 3]),
    lambda: pop(2, [2, 5, 3]),                   # slot 2 pops symbol 1 to state 0
    lambda: rounding_bound(5, [2, 5, 3]),
    lambda: bits_back_encode([2], PRIOR, LIKELIHOOD, ENCODER, 2**40),
    lambda: bits_back_encode([1], PRIOR, LIKELIHOOD[:2], ENCODER, 2**40),
    lambda: bits_back_encode([1], PRIOR, LIKELIHOOD, [[1, 9], [5, 5]], 2**40),
    lambda: bits_back_encode([1], PRIOR, LIKELIHOOD, ENCODER[:1], 2**40),
    lambda: bits_back_encode([1], PRIOR, [[1, 9], [6, 4], [5]], ENCODER, 2**40),
    lambda: bits_back_decode(2**40, -1, PRIOR, LIKELIHOOD, ENCODER),
])
def test_bad_input_is_a_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="freqs"):
        push(7, 1, [2, 0, 3])
    with pytest.raises(ValueError, match="symbol"):
        push(7, 3, [2, 5, 3])
    with pytest.raises(ValueError, match="state"):
        push(0, 1, [2, 5, 3])
    with pytest.raises(ValueError, match="messages"):
        bits_back_encode([2], PRIOR, LIKELIHOOD, ENCODER, 2**40)
    with pytest.raises(ValueError, match="encoder"):
        bits_back_encode([1], PRIOR, LIKELIHOOD, ENCODER[:1], 2**40)


def test_rounding_bound_needs_a_state_above_every_frequency():
    with pytest.raises(ValueError, match="state must exceed the largest frequency 5"):
        rounding_bound(5, [2, 5, 3])
    assert rounding_bound(6, [2, 5, 3]) == pytest.approx(-math.log2(1 - 5 / 6), rel=1e-15)


def test_table_errors_say_how_many_entries_a_row_needs():
    with pytest.raises(ValueError, match="encoder rows must each have 3 entries"):
        bits_back_encode([1], PRIOR, LIKELIHOOD, [[1, 9], [5, 5]], 2**40)
    with pytest.raises(ValueError, match="likelihood rows must each have the same number of"):
        bits_back_encode([1], PRIOR, [[1, 9], [6, 4], [5]], ENCODER, 2**40)
    with pytest.raises(ValueError, match="encoder rows must each have 3 entries"):
        bits_back_decode(2**40, 1, PRIOR, LIKELIHOOD, [[1, 9], [5, 5]])


def test_slack_is_the_sum_of_the_three_rounding_bounds_of_each_message():
    # Replayed with the coder's own steps: pop z under q(z | x), push x, push z.
    messages, state, slack = [1, 0, 1, 1], 2**20 + 7, 0.0
    run = bits_back_encode(messages, PRIOR, LIKELIHOOD, ENCODER, state)
    for x in messages:
        z, state = pop(state, ENCODER[x])
        slack += rounding_bound(state, ENCODER[x]) + rounding_bound(state, LIKELIHOOD[z])
        state = push(state, x, LIKELIHOOD[z])
        slack += rounding_bound(state, PRIOR)
        state = push(state, z, PRIOR)
    assert run.final == state
    assert run.slack == pytest.approx(slack, rel=1e-12) and slack > 3 * len(messages) * 1e-6


def test_decoding_no_message_changes_nothing():
    assert bits_back_decode(2**40 + 3, 0, PRIOR, LIKELIHOOD, ENCODER) == ([], 2**40 + 3)
