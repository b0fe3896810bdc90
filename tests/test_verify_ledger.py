"""helpers.verify.ledger: which labels a chapter defines, from its file or from the wheel."""

import pytest

from helpers import book_files
from helpers.verify import ledger
from verify_fixtures import empty_registry  # noqa: F401  (autouse)


def test_a_wheels_chapter_labels_are_read_without_a_myst_parser(monkeypatch, tmp_path):
    assert book_files.packaged_equations("jensen.md") is None      # the repository has no list
    (tmp_path / "equations.json").write_text('{"jensen.md": [["def-a", 1], ["eq-b", 0]]}')
    monkeypatch.setattr(book_files, "PACKAGED", tmp_path)
    assert book_files.packaged_equations("jensen.md") == [("def-a", True), ("eq-b", False)]
    assert book_files.packaged_equations("vae.md") is None
    assert ledger._chapter_equations("somewhere/jensen.md") == [("def-a", True), ("eq-b", False)]
    with pytest.raises(ValueError, match="chapter must be the path of the chapter's MyST file"):
        ledger._chapter_equations("vae.md")
    with pytest.raises(ValueError, match="chapter must be a chapter's file name"):
        book_files.packaged_equations("jensen")
    with pytest.raises(ValueError, match="chapter must be the path"):
        ledger._chapter_equations("")
