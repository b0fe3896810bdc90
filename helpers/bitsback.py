"""Bits-back coding on an exact-integer asymmetric numeral system (book: eq-bits-back).

The coder is range ANS (rANS, Duda 2013) with the whole state held in one
Python integer, so nothing is ever rounded or renormalised.  A distribution
over the symbols ``0..K-1`` is a table of positive integer frequencies
``freqs``; symbol ``s`` has probability ``freqs[s] / M`` with ``M = sum(freqs)``
and occupies the slots ``c_s .. c_s + f_s - 1`` of ``0..M-1``, where
``c_s = freqs[0] + ... + freqs[s-1]``.

- :func:`push` codes one symbol: ``x -> (x // f_s) M + c_s + x mod f_s``.
- :func:`pop` is its inverse: the slot ``x mod M`` names the symbol.
- :func:`state_bits` is the length of a state, ``log2 x`` bits.

Pushing ``s`` lengthens the state by ``log2(M / f_s)`` bits, the ideal code
length of ``s``, up to an error of at most ``-log2(1 - f_s / x)`` bits, ``x``
the smaller of the two states (:func:`rounding_bound`).

:func:`bits_back_encode` sends messages ``x_1, x_2, ...`` with a latent model
``p(z) p(x | z)`` and an encoder ``q(z | x)``, each message in three steps:
*pop* ``z`` under ``q(z | x)`` (this takes ``-log2 q(z | x)`` bits back off
the state), *push* ``x`` under ``p(x | z)``, *push* ``z`` under ``p(z)``.
:func:`bits_back_decode` undoes the steps in reverse order and returns the
messages and the starting state.  Logarithms are base 2 throughout (bits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from helpers.validation import count

#: Bits of a state above which :func:`state_bits` reads only the leading ones.
_LEADING = 900


def _freqs(name: str, freqs) -> tuple[int, ...]:
    """``freqs`` as a tuple of positive ints; ValueError naming ``name`` otherwise."""
    try:
        values = tuple(freqs)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive integers, "
                         f"got {freqs!r}") from None
    if not values:
        raise ValueError(f"{name} must hold at least one frequency, got none")
    for value in values:
        count(name, value)            # a positive integer, not a bool or a float
    return tuple(int(v) for v in values)


def _state(name: str, state) -> int:
    return count(name, state)


def _sequence(name: str, values) -> tuple:
    """``values`` as a tuple; ValueError naming ``name`` when it is not a sequence."""
    try:
        return tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of symbols, got {values!r}") from None


def _symbol(name: str, symbol, size: int) -> int:
    symbol = count(name, symbol, minimum=0)
    if symbol >= size:
        raise ValueError(f"{name} must be a symbol in 0..{size - 1}, got {symbol}")
    return symbol


def push(state: int, symbol: int, freqs) -> int:
    """Code ``symbol`` onto ``state``: ``(x // f_s) M + c_s + x mod f_s``.

    The result lies in ``[x M / f_s - (M - f_s), x M / f_s + (M - f_s)]``.
    """
    freqs = _freqs("freqs", freqs)
    state = _state("state", state)
    symbol = _symbol("symbol", symbol, len(freqs))
    f, start, total = freqs[symbol], sum(freqs[:symbol]), sum(freqs)
    return (state // f) * total + start + state % f


def pop(state: int, freqs) -> tuple[int, int]:
    """Decode one symbol from ``state``; returns ``(symbol, state before the push)``.

    The symbol is the one whose slots hold ``x mod M``; ``pop(push(x, s, t), t)
    == (s, x)`` for every state ``x >= 1``.
    """
    freqs = _freqs("freqs", freqs)
    state = _state("state", state)
    total = sum(freqs)
    slot, start = state % total, 0
    for symbol, f in enumerate(freqs):
        if slot < start + f:
            break
        start += f
    previous = f * (state // total) + slot - start
    if previous < 1:
        raise ValueError(f"state {state} is too small to pop a symbol from: it holds "
                         "no code (a state must stay >= 1)")
    return symbol, previous


def state_bits(state: int) -> float:
    """``log2(state)``: the length of the coder's state in bits (exact to float64)."""
    state = _state("state", state)
    extra = max(state.bit_length() - _LEADING, 0)
    return extra + math.log2(state >> extra)


def rounding_bound(state: int, freqs) -> float:
    """Largest ``|log2 x' - log2 x - log2(M / f)|`` of a push or pop at a state >= ``state``.

    With ``x`` the smaller of the two states and ``f`` the largest frequency,
    ``|x' f / (x M) - 1| <= f / x``, so the error is at most ``-log2(1 - f / x)``.
    """
    freqs, state = _freqs("freqs", freqs), _state("state", state)
    largest = max(freqs)
    if state <= largest:
        raise ValueError(f"state must exceed the largest frequency {largest}, got {state}")
    return -math.log1p(-largest / state) / math.log(2)


def _table(name: str, rows, size: int | None = None) -> tuple[tuple[int, ...], ...]:
    try:
        rows = tuple(rows)
    except TypeError:
        raise ValueError(f"{name} must be a table: one frequency row per value") from None
    table = tuple(_freqs(f"{name} row {i}", row) for i, row in enumerate(rows))
    if not table:
        raise ValueError(f"{name} must have at least one row")
    widths = {len(row) for row in table}
    if len(widths) != 1 or (size is not None and widths != {size}):
        expected = size if size is not None else "the same number of"
        raise ValueError(f"{name} rows must each have {expected} entries, got widths "
                         f"{sorted(widths)}")
    return table


@dataclass(frozen=True)
class BitsBackRun:
    """What :func:`bits_back_encode` did.

    ``latents[i]`` is the ``z`` popped for message ``i``; ``lengths[i]`` the
    measured net length of message ``i``, ``log2`` of the state after it minus
    ``log2`` of the state before it; ``ideal[i]`` the same from the tables,
    ``-log2 p(z) - log2 p(x | z) + log2 q(z | x)``; ``slack`` the sum of the
    :func:`rounding_bound` of every push and pop, so that
    ``|sum(lengths) - sum(ideal)| <= slack``.
    """

    initial: int
    final: int
    latents: tuple[int, ...]
    lengths: tuple[float, ...]
    ideal: tuple[float, ...]
    slack: float

    @property
    def total_bits(self) -> float:
        """``log2(final) - log2(initial)``: the measured length of the whole code."""
        return state_bits(self.final) - state_bits(self.initial)


def _ideal(freqs, symbol) -> float:
    return math.log2(sum(freqs) / freqs[symbol])


def bits_back_encode(messages, prior, likelihood, encoder, initial: int) -> BitsBackRun:
    """Send ``messages`` by bits-back coding, starting from the state ``initial``.

    ``prior[z]`` are the frequencies of ``p(z)``; ``likelihood[z]`` those of
    ``p(x | z)`` over the messages; ``encoder[x]`` those of ``q(z | x)``.  For
    each message: pop ``z`` under ``encoder[x]``, push ``x`` under
    ``likelihood[z]``, push ``z`` under ``prior`` (book: eq-bits-back).
    """
    prior = _freqs("prior", prior)
    likelihood = _table("likelihood", likelihood)
    if len(likelihood) != len(prior):
        raise ValueError(f"likelihood must have one row per latent value ({len(prior)}), "
                         f"got {len(likelihood)}")
    n_values = len(likelihood[0])
    encoder = _table("encoder", encoder, size=len(prior))
    if len(encoder) != n_values:
        raise ValueError(f"encoder must have one row per message value ({n_values}), "
                         f"got {len(encoder)}")
    state = _state("initial", initial)
    messages = [_symbol("messages", m, n_values) for m in _sequence("messages", messages)]
    latents, lengths, ideal, slack = [], [], [], 0.0
    for message in messages:
        before = state_bits(state)
        q = encoder[message]
        z, state = pop(state, q)                  # the bound at the smaller state
        slack += rounding_bound(state, q)
        slack += rounding_bound(state, likelihood[z])
        state = push(state, message, likelihood[z])
        slack += rounding_bound(state, prior)
        state = push(state, z, prior)
        latents.append(z)
        lengths.append(state_bits(state) - before)
        ideal.append(_ideal(prior, z) + _ideal(likelihood[z], message) - _ideal(q, z))
    return BitsBackRun(int(initial), state, tuple(latents), tuple(lengths), tuple(ideal),
                       slack)


def bits_back_decode(final: int, n_messages: int, prior, likelihood, encoder):
    """Undo :func:`bits_back_encode`: returns ``(messages, initial state)``.

    For each message, last first: pop ``z`` under ``prior``, pop ``x`` under
    ``likelihood[z]``, push ``z`` back under ``encoder[x]``.
    """
    prior = _freqs("prior", prior)
    likelihood = _table("likelihood", likelihood)
    if len(likelihood) != len(prior):
        raise ValueError(f"likelihood must have one row per latent value ({len(prior)}), "
                         f"got {len(likelihood)}")
    encoder = _table("encoder", encoder, size=len(prior))
    state = _state("final", final)
    n_messages = count("n_messages", n_messages, minimum=0)
    messages = []
    for _ in range(n_messages):
        z, state = pop(state, prior)
        message, state = pop(state, likelihood[z])
        state = push(state, z, encoder[message])
        messages.append(message)
    return messages[::-1], state
