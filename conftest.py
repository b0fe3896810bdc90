"""Collect every chapter of the book (a MyST Markdown notebook) for nbval.

nbval only collects ``.ipynb`` files, and the chapters are ``book/*.md``.  This
hook reads each chapter with jupytext and hands its code cells to nbval's own
item class, so ``pytest`` executes every chapter top to bottom in a fresh
kernel whose working directory is ``book/``.  It lives in the root conftest
because a ``tests/conftest.py`` hook never sees ``book/``.
"""

from collections import defaultdict
from pathlib import Path

import jupytext
import yaml
from nbval.plugin import IPyNbCell, IPyNbFile, find_comment_markers, find_metadata_tags

ROOT = Path(__file__).parent
BOOK = ROOT / "book"


def toc_files() -> list[str]:
    """Every page named in _toc.yml (root, chapters, sections), as 'book/name'."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return found


def is_chapter(path: Path) -> bool:
    """A chapter is a Markdown file in book/ with a jupytext kernelspec header."""
    if path.suffix != ".md" or path.parent != BOOK:
        return False
    head = path.read_text(encoding="utf-8")[:1000]
    return head.startswith("---") and "jupytext:" in head and "kernelspec:" in head


class MystNotebook(IPyNbFile):
    """nbval's notebook collector, reading a MyST Markdown notebook."""

    def collect(self):
        self.nb = jupytext.read(self.path)
        code_cells = [cell for cell in self.nb.cells if cell.cell_type == "code"]
        for number, cell in enumerate(code_cells):
            options = defaultdict(bool, find_metadata_tags(cell.metadata))
            options.update(dict(find_comment_markers(cell.source)))
            options.setdefault("check", self.compare_outputs)
            yield IPyNbCell.from_parent(
                self, name=f"Cell {number}", cell_num=number, cell=cell, options=options
            )


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    if (opt.nbval or opt.nbval_lax) and is_chapter(Path(file_path)):
        return MystNotebook.from_parent(parent, path=file_path)


# ---- per-chapter execution time, summed over a chapter's cells ----------------

_chapter_seconds: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.startswith("book/"):
        _chapter_seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if _chapter_seconds:
        terminalreporter.section("chapter execution time (kernel start + every cell)")
        for path, seconds in sorted(_chapter_seconds.items()):
            terminalreporter.write_line(f"{seconds:6.1f} s  {path}")
