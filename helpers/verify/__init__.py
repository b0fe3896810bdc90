"""The verification toolkit: every result the book displays is checked here.

- :class:`Derivation` (:mod:`~helpers.verify.chain`): a chain
  ``a = b >= c = ...``; each ``=`` proven by SymPy *and* by exact agreement at
  random points, each inequality by a certificate or by exact random instances.
- :func:`assert_identity` (module ``helpers.verify.identity``): one identity,
  proven the same two ways.
- :func:`assert_mc_close`, :func:`assert_close`, :func:`assert_inequality`
  (:mod:`~helpers.verify.numeric`): numbers, within stated, bounded tolerances.
- :func:`assert_fails` (:mod:`~helpers.verify.refute`): a wrong statement is
  refuted (a counterexample, not merely a failed proof).
- :func:`report` (:mod:`~helpers.verify.ledger`): a chapter's labelled results,
  each with its strength (:mod:`~helpers.verify.strength`) and what was checked.

Every check raises :class:`CheckFailed` (an ``AssertionError``, so pytest,
nbval and the book build all stop on it) and records its strength: one of
``proof``, ``stand-in``, ``exact-instances``, ``sampled``, ``monte-carlo``,
``numeric``.
"""

from helpers.verify.chain import Derivation, Step
from helpers.verify.identity import Identity, assert_identity
from helpers.verify.numeric import NumericCheck, assert_close, assert_inequality, assert_mc_close
from helpers.verify.refute import Refutation, assert_fails
from helpers.verify.registry import CheckFailed, checked_labels, clear_registry
from helpers.verify.ledger import Report, legend, report
from helpers.verify.strength import STRENGTHS, Check
from helpers.verify.symbolic import is_nonnegative

__all__ = [
    "CheckFailed",
    "Derivation",
    "Step",
    "assert_identity",
    "assert_mc_close",
    "assert_close",
    "assert_inequality",
    "assert_fails",
    "is_nonnegative",
    "checked_labels",
    "clear_registry",
    "report",
    "legend",
    "STRENGTHS",
    "Check",
    "Identity",
    "NumericCheck",
    "Refutation",
    "Report",
]
