"""The fixture every test file of helpers.verify uses (imported by name, so pytest finds it)."""

import pytest

from helpers import verify


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch):
    # Unit tests prove everything afresh (a broken prover's result must not be remembered)
    # and start from an empty registry.
    monkeypatch.setenv("ELBO_PROOF_CACHE", "off")
    # The Markdown the checks display, as the book build renders it (plain Jupyter's
    # form is tested in tests/test_plain_notebook.py).
    monkeypatch.setenv("ELBO_BOOK_OUTPUT", "myst")
    verify.clear_registry()
    yield
    verify.clear_registry()
