"""Every exercise of the book, by id, and the calls a reader makes from a cell.

Each chapter's exercises live in a module of this package named after the
chapter (``helpers/exercises/jensen.py`` for ``book/jensen.md``), as a list
``EXERCISES``; the typical wrong answers each one is tested against are in
``WRONG`` beside it (``tests/test_exercises.py``).
"""

from __future__ import annotations

from importlib import import_module

from helpers.exercises.grader import Exercise, Verdict, grade

#: The chapters with exercises, in book order (each is a module of this package).
CHAPTERS = ("jensen", "elbo", "gap_kl", "vae", "ddpm", "vdm", "em", "vb", "ising",
            "scvi", "applications")
_BY_ID: dict[str, Exercise] | None = None


def chapter_module(chapter: str):
    """The module holding ``chapter``'s exercises (``"gap-kl.md"`` or ``"gap_kl"``)."""
    name = chapter.removesuffix(".md").replace("-", "_")
    if name not in CHAPTERS:
        raise ValueError(f"chapter must be one of {', '.join(CHAPTERS)}, got {chapter!r}")
    return import_module(f"helpers.exercises.{name}")


def all_exercises() -> dict[str, Exercise]:
    """``{id: Exercise}`` for every chapter that has a module."""
    global _BY_ID
    if _BY_ID is None:
        found = {}
        for name in CHAPTERS:
            try:
                module = import_module(f"helpers.exercises.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"helpers.exercises.{name}":
                    raise
                continue
            for item in module.EXERCISES:
                if item.id in found:
                    raise ValueError(f"two exercises share the id {item.id!r}")
                found[item.id] = item
        _BY_ID = found
    return _BY_ID


def exercise(exercise_id: str) -> Exercise:
    """The exercise called ``exercise_id`` (``"jensen-1"``)."""
    known = all_exercises()
    if exercise_id not in known:
        chapter = str(exercise_id).rsplit("-", 1)[0]
        near = [k for k in known if k.startswith(chapter)] or sorted(known)
        raise ValueError(f"exercise_id {exercise_id!r} is not an exercise; "
                         f"known ids include {', '.join(near[:12])}")
    return known[exercise_id]


def exercise_symbols(exercise_id: str):
    """The symbols an answer may use, with the assumptions the exercise gives them.

    One symbol is returned as itself, several as a tuple (unpack them in the
    order the exercise lists them).
    """
    symbols = exercise(exercise_id).symbols
    return symbols[0] if len(symbols) == 1 else symbols


def check_answer(exercise_id: str, answer) -> Verdict:
    """Grade ``answer`` (a SymPy expression, a number, a string, a function of the
    exercise's symbols, or a tuple of these) against exercise ``exercise_id``."""
    return grade(exercise(exercise_id), answer)
