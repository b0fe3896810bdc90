"""The book's structure: the table of contents, the chapters and their labelled equations."""

import re
from pathlib import Path

import jupytext
import pytest

from conftest import BOOK, ROOT, is_chapter, toc_files
from helpers.labels import equation_labels, equations

PAGES = sorted(BOOK.glob("*.md"))
CHAPTERS = [page for page in PAGES if is_chapter(page)]
NAMED_LABEL = re.compile(r"""["'](eq-[\w-]+)["']""")


def code_of(page: Path) -> str:
    notebook = jupytext.read(page)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found in book/"


def test_every_toc_entry_has_a_file():
    missing = [entry for entry in toc_files() if not (ROOT / f"{entry}.md").is_file()]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"


def test_every_page_is_in_the_toc():
    listed = {str(ROOT / f"{entry}.md") for entry in toc_files()}
    unlisted = [page.name for page in PAGES if str(page) not in listed]
    assert not unlisted, f"pages in book/ missing from _toc.yml: {unlisted}"


def test_no_notebook_files_in_book():
    # An .ipynb next to its .md makes the build warn about duplicates; chapters are .md only.
    assert not list(BOOK.glob("*.ipynb"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_code_cells_only_in_notebook_pages(page):
    # A page with code cells but no jupytext header would be neither executed nor tested.
    if "{code-cell}" in page.read_text(encoding="utf-8"):
        assert is_chapter(page), f"{page.name} has code cells but no jupytext/kernelspec header"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_labelled_equation_has_a_check(page):
    # Every labelled result is named by a code cell; a labelled definition never is.
    found = equations(page)
    badly_named = [e.label for e in found if not e.label.startswith("eq-")]
    assert not badly_named, f"equation labels must start with 'eq-': {badly_named}"
    named = set(NAMED_LABEL.findall(code_of(page))) if is_chapter(page) else set()
    unchecked = [e.label for e in found if not e.definition and e.label not in named]
    assert not unchecked, f"{page.name}: labelled equations that no code cell checks: {unchecked}"
    claimed = [e.label for e in found if e.definition and e.label in named]
    assert not claimed, f"{page.name}: code cells claim to check definitions: {claimed}"


@pytest.mark.parametrize("page", [p for p in CHAPTERS if equation_labels(p)],
                         ids=lambda p: p.name)
def test_chapter_ends_with_its_verification_report(page):
    """The report closes the chapter's material; only the Exercises section follows it."""
    cells = jupytext.read(page).cells
    heading = [i for i, c in enumerate(cells)
               if c.cell_type == "markdown" and "\n## Exercises\n" in "\n" + c.source + "\n"]
    material = cells[:heading[0]] if heading else cells
    code = [c for c in material if c.cell_type == "code"]
    assert code and code[-1].source.strip() == f'report("{page.name}")', (
        f"the last code cell of {page.name} before its exercises must be "
        f"report(\"{page.name}\")")


def test_labels_are_unique_across_the_book():
    seen = {}
    for page in PAGES:
        for label in equation_labels(page):
            assert label not in seen, f"{label} is defined in {seen.get(label)} and {page.name}"
            seen[label] = page.name


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(page):
    # Longer lines are cut off in the rendered code cells (1000 px window).
    long = [line for line in code_of(page).splitlines() if len(line) > 84]
    assert not long, f"{page.name}: code lines longer than 84 characters: {long}"


EXPANDED_MACROS = [r"\mathbb{E}", r"\operatorname{KL}", r"\operatorname{Var}",
                   r"\mathcal{N}", r"\mathcal{L}"]
CODE_CELL = re.compile(r"```\{code-cell\}.*?\n```", re.S)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_prose_uses_the_book_macros(page):
    # \E, \KL, \Var, \N, \ELBO are defined once in _config.yml; the prose uses them.
    prose = CODE_CELL.sub("", page.read_text(encoding="utf-8"))
    expanded = [form for form in EXPANDED_MACROS if form in prose]
    assert not expanded, f"{page.name} writes {expanded} instead of the book's macros"


# --- numbers in the prose come from the cells ----------------------------------------
# A number with three or more significant digits in the prose (text, captions and
# displayed formulas, not code) must be glued from a cell, or be an input the reader
# sees in one of the page's code cells (a literal there, such as a grid size), or be
# listed here with its reason.  So a result cannot be typed in and drift from its cell.
PROSE_CONSTANTS = {
    ("vdm.md", "13.3"): "VDM's published lambda_max (Kingma et al. 2021), the helpers' LOG_SNR_MAX",
}
NUMBER = re.compile(r"(?<![\w.\\])\d{1,3}(?:(?:,|\\,)\d{3})+(?![\d.])|(?<![\w.\\])\d+(?:\.\d+)?(?![\w.])")
ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")                  # {glue:text}`key:.3f`, {eq}`label`, ...
MARKUP = [ROLE, re.compile(r"`[^`]*`"),                    # roles, inline code
          re.compile(r"^\s*\(?[\w-]+\)=\s*$", re.M),       # (label)= targets
          re.compile(r"^\s*:[\w-]+:.*$", re.M),            # directive options (:name:, :width: ...)
          re.compile(r"^\s*```\{[\w:-]+\}.*$", re.M),      # directive headers and their arguments
          re.compile(r"\]\([^)]*\)"), re.compile(r"<!--.*?-->", re.S)]


def significant_digits(number: str) -> int:
    digits = re.sub(r"\\,|,", "", number)
    if "." in digits:
        return len(digits.replace(".", "").lstrip("0"))
    return len(digits.strip("0"))


def code_literals(page: Path) -> set[float]:
    import io
    import tokenize
    found = set()
    for cell in jupytext.read(page).cells:
        if cell.cell_type != "code":
            continue
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(cell.source).readline))
        except (tokenize.TokenError, SyntaxError):
            continue
        found |= {float(t.string.replace("_", "")) for t in tokens
                  if t.type == tokenize.NUMBER and not t.string.endswith("j")}
    return found


def typed_numbers(page: Path, allowed=PROSE_CONSTANTS) -> list[tuple[str, str]]:
    """(number, sentence) for each number of >= 3 significant digits the prose types in."""
    literals = code_literals(page)
    typed = []
    for cell in jupytext.read(page).cells:
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        for pattern in MARKUP:
            text = pattern.sub(" ", text)
        for line in text.splitlines():
            for match in NUMBER.finditer(line):
                number = match.group()
                plain = re.sub(r"\\,|,", "", number)
                if (significant_digits(number) < 3 or re.fullmatch(r"(19|20)\d\d", plain)
                        or float(plain) in literals or (page.name, number) in allowed):
                    continue
                typed.append((number, line.strip()[:120]))
    return typed


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_prose_numbers_are_glued(page):
    typed = typed_numbers(page)
    assert not typed, (f"{page.name} types numbers into the prose; glue them from a cell "
                       f"(or list a published constant in PROSE_CONSTANTS): {typed}")


def test_prose_number_scanner_finds_a_typed_number(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n"
                    "    format_name: myst\n---\n"
                    "The gap is 0.693 nats, {glue:text}`gap:.3f` glued, $65\\,536$ states, "
                    "n = 201 from the cell, 2014 a year, 1.5 short.\n\n"
                    "```{code-cell} ipython3\nn = 201\n```\n")
    assert [number for number, _ in typed_numbers(page)] == ["0.693", "65\\,536"]


def test_every_listed_prose_constant_is_used():
    used = {(page.name, number) for page in PAGES for number, _ in typed_numbers(page, allowed={})}
    assert not set(PROSE_CONSTANTS) - used, set(PROSE_CONSTANTS) - used


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.name)
def test_a_glued_figure_is_shown_once(page):
    # A cell that glues a figure and keeps its output shows the figure twice: as the
    # cell's output and as the glued figure (twice the page weight, and an image
    # with no caption).
    shown = [cell.source.splitlines()[0] for cell in jupytext.read(page).cells
             if cell.cell_type == "code" and re.search(r"""glue\(f?["']fig-""", cell.source)
             and not {"remove-output", "remove-cell"} & set(cell.metadata.get("tags", []))]
    assert not shown, f"{page.name}: cells that glue a figure and keep their output: {shown}"
