"""Helpers for the ELBO book.

Every chapter imports from here; nothing in a chapter is defined twice.

- :mod:`helpers.verify`: the verification toolkit (checked derivations,
  identities, Monte Carlo checks, the label registry).
- :mod:`helpers.gaussian`: Gaussian log-densities and KL divergences.
- :mod:`helpers.finite`: exact stand-ins with finitely many states.
- :mod:`helpers.labels`: which equations a chapter labels.
- :mod:`helpers.plotting`: the book's figure style.
"""
