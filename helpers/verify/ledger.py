"""A chapter's closing report: every labelled result, its strength, what was checked.

:func:`~helpers.verify.report` compares the equations a chapter's text labels with the checks
that ran.  It fails when a labelled result has no passing check, when a check
names a label the chapter does not define, or when a check claims to verify a
*definition* (a display in a ``{prf:definition}`` or written with ``:=``):
a definition is not a checked result.  The rendered report lists each result
by its equation number, with its strength and what exactly was checked, and
carries the same data, machine-readable, in an HTML comment that the book's
Sphinx extension collects into the site's ledger (``ledger.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from helpers.verify import display
from helpers.verify.registry import CheckFailed, checked_labels, passed_count
from helpers.verify.strength import MEANING, SHOWN, STRENGTHS, Check, strongest

LEDGER_TAG = "elbo-ledger"


@dataclass(frozen=True)
class Result:
    """A labelled result of the chapter and the checks that verified it."""

    label: str
    checks: tuple[Check, ...]

    @property
    def strength(self) -> str:
        return strongest(c.strength for c in self.checks)


@dataclass(frozen=True)
class Report:
    """Which labelled results of a chapter were checked, how strongly, and how."""

    chapter: str
    results: tuple[Result, ...]
    definitions: tuple[str, ...]
    passed: int

    def counts(self) -> dict[str, int]:
        """Labelled results per strength, in the vocabulary's order."""
        return {s: sum(r.strength == s for r in self.results) for s in STRENGTHS}

    def ledger(self) -> dict:
        """The report as plain data (the site's ``ledger.json`` is built from it)."""
        return {"chapter": self.chapter, "passed": self.passed,
                "definitions": list(self.definitions),
                "results": [{"label": r.label, "strength": r.strength,
                             "checks": [{"kind": c.kind, "strength": c.strength,
                                         "what": c.what, "detail": c.detail}
                                        for c in r.checks]} for r in self.results]}

    def _repr_markdown_(self) -> str:
        counts = ", ".join(f"{n} {display.mark(s)}" for s, n in self.counts().items() if n)
        lines = [f"**All {len(self.results)} labelled results of this chapter were checked "
                 f"when this page was built**: {counts} ({self.passed} checks passed in all).",
                 ""]
        if self.definitions:
            named = ", ".join(display.equation(d) for d in self.definitions)
            lines += [f"Labelled definitions, which are not results and are not checked: "
                      f"{named}.", ""]
        lines += ["| equation | strength | what was checked |", "|---|---|---|"]
        for result in self.results:
            lines.append(f"| {display.equation(result.label)} | {display.mark(result.strength)} "
                         f"| {_what(result)} |")
        payload = json.dumps(self.ledger(), ensure_ascii=True).replace("--", "-\\u002d")
        return "\n".join(lines) + f"\n\n<!-- {LEDGER_TAG} {payload} -->\n"

    def __repr__(self) -> str:
        rows = [f"{r.label}: {r.strength} ({'; '.join(c.what for c in r.checks)})"
                for r in self.results]
        return "\n".join(rows + [f"{self.passed} checks passed in all"])


def _cell(text: str) -> str:
    return display.short_math(text).replace("|", r"\|").replace("\n", " ")


def _what(result: Result) -> str:
    """What the strongest checks of a result checked, and a count of the others."""
    best = [c for c in result.checks if c.strength == result.strength]
    shown = "; ".join(dict.fromkeys(_cell(c.what) for c in best[:2]))
    if len(best) > 2:
        shown += f" (and {len(best) - 2} more)"
    others = {}
    for check in result.checks:
        if check.strength != result.strength:
            others[check.strength] = others.get(check.strength, 0) + 1
    if others:
        shown += "; also " + ", ".join(f"{n} {SHOWN[s]}" for s, n in others.items())
    return shown


def _chapter_equations(chapter) -> list[tuple[str, bool]]:
    """``(label, is_definition)`` of each labelled display of ``chapter``.

    Read from the chapter's MyST file; where that file is not (a chapter
    downloaded as a notebook), from the list the helpers' wheel carries.
    """
    from helpers.book_files import packaged_equations

    if not isinstance(chapter, (str, Path)) or not str(chapter):
        raise ValueError(f"chapter must be the path of the chapter's MyST file, got {chapter!r}")
    if Path(chapter).is_file():
        from helpers.labels import equations
        return [(e.label, e.definition) for e in equations(chapter)]
    found = packaged_equations(Path(chapter).name)
    if found is None:
        raise ValueError(f"chapter must be the path of the chapter's MyST file, got {chapter!r}")
    return found


def report(chapter: str) -> Report:
    """Compare the labels that ``chapter`` (a MyST file) defines with the checks run.

    Call it in a chapter's last cell with the chapter's file name; the kernel
    runs in the chapter's folder.  Where that file is not (a chapter downloaded
    as a notebook), the chapter's labels are taken from the installed helpers.
    """
    entries = _chapter_equations(chapter)
    labels = [label for label, _ in entries]
    definitions = [label for label, definition in entries if definition]
    checked = checked_labels()
    claimed = [d for d in definitions if d in checked]
    unchecked = [label for label, definition in entries
                 if not definition and label not in checked]
    unknown = sorted(set(checked) - set(labels))
    if claimed or unchecked or unknown:
        problems = []
        if claimed:
            problems.append(f"checks claim to verify definitions, which are not results: {claimed}")
        if unchecked:
            problems.append(f"labelled equations with no passing check: {unchecked}")
        if unknown:
            problems.append(f"checks naming labels the chapter does not define: {unknown}")
        raise CheckFailed(f"{chapter}: " + "; ".join(problems))
    results = tuple(Result(label, tuple(checked[label])) for label, definition in entries
                    if not definition)
    return Report(str(chapter), results, tuple(definitions), passed_count())


def legend() -> str:
    """The strength vocabulary as a Markdown list (the introduction's legend)."""
    return "\n".join(f"- **✔ {SHOWN[s]}**: {MEANING[s]}." for s in STRENGTHS)
