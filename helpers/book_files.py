"""The book's own files, wherever the helpers run.

In the repository, ``_config.yml`` (the book's macros) and the chapters' MyST
sources are beside ``helpers/``.  The wheel the website offers (built by
``helpers/sphinx/helpers_wheel.py``) carries, in ``helpers/_book/``, a copy of
``_config.yml``, ``equations.json`` (each chapter's labelled equations and
whether each is a definition, read from the sources when the wheel is built,
so that reading them needs no MyST parser) and ``numbers.json`` (each
equation's number on the website, ``{"eq-jensen": "1.5"}``).  A downloaded chapter notebook
finds both there without the repository.
"""

import json
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
PACKAGED = Path(__file__).resolve().parent / "_book"


def book_file(relative: str) -> Path:
    """``relative`` (``"_config.yml"``, ``"book/jensen.md"``) in the repository, else in the
    wheel's copy; the repository's path when neither has it (the caller says what is missing)."""
    if not isinstance(relative, str) or Path(relative).is_absolute():
        raise ValueError(f"relative must be a path inside the book, got {relative!r}")
    for root in (REPOSITORY, PACKAGED):
        if (root / relative).is_file():
            return root / relative
    return REPOSITORY / relative


def packaged_equations(chapter: str) -> list[tuple[str, bool]] | None:
    """``[(label, is_definition), ...]`` of ``chapter`` (``"jensen.md"``) from the wheel's
    ``equations.json``; None when the helpers carry no such list or no such chapter."""
    if not isinstance(chapter, str) or not chapter.endswith(".md"):
        raise ValueError(f"chapter must be a chapter's file name such as 'jensen.md', got {chapter!r}")
    listed = PACKAGED / "equations.json"
    if not listed.is_file():
        return None
    found = json.loads(listed.read_text(encoding="utf-8")).get(chapter)
    return None if found is None else [(label, bool(definition)) for label, definition in found]


def _numbers() -> dict[str, str]:
    listed = PACKAGED / "numbers.json"
    return json.loads(listed.read_text(encoding="utf-8")) if listed.is_file() else {}


def equation_number(label: str) -> str | None:
    """The number the website gives equation ``label`` (``"1.5"``), from the wheel's
    ``numbers.json``; None when the helpers carry no numbers (the repository)."""
    if not isinstance(label, str) or not label:
        raise ValueError(f"label must be an equation label such as 'eq-jensen', got {label!r}")
    return _numbers().get(label)
