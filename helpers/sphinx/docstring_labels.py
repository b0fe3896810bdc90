"""Sphinx extension: equation labels in the helpers' docstrings shown as numbers.

The docstrings name the book's equations by label (``(eq-scvi-model)``, ``book:
eq-jensen``) so that a reader of the source finds them; on the API page each such
label becomes an ``:eq:`` reference, so the reader sees the equation's number,
linked.  Only labels that a chapter defines are replaced, and never inside a
````literal````.
"""

import re
from pathlib import Path

from helpers.labels import equation_labels

BOOK = Path(__file__).resolve().parents[2] / "book"

#: ``(eq-x)`` or ``(book: eq-x)``, whose parentheses the number brings, or a bare ``eq-x``.
_LABEL = re.compile(r"\((?:book: )?(eq-[a-z0-9-]*[a-z0-9])\)"
                    r"|(?<![`\w-])(eq-[a-z0-9-]*[a-z0-9])(?![`\w-])")


def book_labels(book: Path = BOOK) -> frozenset[str]:
    """Every equation label the chapters define."""
    return frozenset(label for page in book.glob("*.md") for label in equation_labels(page))


def with_numbers(text: str, known: frozenset[str]) -> str:
    """``text`` (reST) with each known label outside ````...```` as an ``:eq:`` role."""
    def role(match: re.Match) -> str:
        label = match.group(1) or match.group(2)
        return f":eq:`{label}`" if label in known else match.group(0)

    parts = text.split("``")
    return "``".join(p if i % 2 else _LABEL.sub(role, p) for i, p in enumerate(parts))


def setup(app):
    known = book_labels()

    def process(app, what, name, obj, options, lines):
        # Whole, not line by line: a ``literal`` may run across a line break.
        lines[:] = with_numbers("\n".join(lines), known).split("\n")

    app.connect("autodoc-process-docstring", process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
