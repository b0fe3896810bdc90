"""Proven lemmas that later derivations use as certificates.

Each function builds (and so checks) its proof afresh: a lemma is a finished
:class:`helpers.verify.Derivation` ending in ``>= 0``, and ``as_lemma`` turns
it into a SymPy function that :func:`helpers.verify.is_nonnegative` knows is
non-negative on the lemma's domain.
"""

import sympy as sp

from helpers.verify import Derivation

t = sp.Symbol("t", positive=True)


def log_tangent_bound(label: str | None = None) -> Derivation:
    """Proof of ``t - 1 - log t >= 0`` for ``t > 0`` (book: eq-log-tangent).

    Taylor's theorem at ``t = 1`` with the integral remainder, then the
    substitution ``s = 1 + (t - 1) r``: a square times the integral of a
    positive function over [0, 1].
    """
    s, r = sp.Symbol("s", positive=True), sp.Symbol("r")
    remainder = sp.Integral((1 - r) / (1 + (t - 1) * r) ** 2, (r, 0, 1))
    proof = (Derivation(t - 1 - sp.log(t))
             .eq(sp.Integral((t - s) / s**2, (s, 1, t)), "Taylor at $t = 1$")
             .eq((t - 1) ** 2 * remainder, "substitute $s = 1 + (t - 1) r$")
             .ge(0, "square times positive integral", certificate=(t - 1) ** 2 * remainder))
    return proof.qed(label) if label else proof


def tangent_gap():
    """``h(u) = u - 1 - log u``, known to SymPy's sign checks as ``>= 0`` for ``u > 0``.

    The book's Jensen and Gibbs inequalities are certified by weighted sums of
    ``h`` terms, sometimes plus squares: ``sum_k w_k h(x_k / xbar)`` for Jensen
    (book: eq-jensen), ``sum_k q_k h(p_k / q_k)`` for Gibbs (eq-gibbs), and
    ``h(v / vtilde) / 2 + (m - mtilde)**2 / (2 vtilde)`` for the Gaussian ELBO
    bound (eq-elbo-bound).
    """
    return log_tangent_bound().as_lemma(t, "h")
