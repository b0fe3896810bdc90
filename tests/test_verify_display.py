"""helpers.verify.display: what the checks display in the book build and in plain Jupyter."""

import pytest

from helpers import book_files
from helpers.verify import display
from verify_fixtures import empty_registry  # noqa: F401  (autouse: the book's form)

ROWS = [("a", "= b", "why"), ("", "= c", ""), ("", "\\ge d", "so")]


@pytest.fixture
def plain(monkeypatch):
    monkeypatch.delenv("ELBO_BOOK_OUTPUT", raising=False)


def test_in_plain_jupyter_a_mark_is_not_a_link(plain):
    assert display.mark("proof") == ('<span title="proven symbolically, in general, as displayed">'
                                     "✔ proof</span>")


def test_in_plain_jupyter_an_equation_is_its_number_from_the_wheel(plain, monkeypatch, tmp_path):
    assert display.equation("eq-jensen") == "(eq-jensen)"          # the repository: no numbers
    assert display.equation(None) == ""
    (tmp_path / "numbers.json").write_text('{"eq-jensen": "1.5"}')
    monkeypatch.setattr(book_files, "PACKAGED", tmp_path)
    assert display.equation("eq-jensen") == "(1.5)"
    assert display.equation("eq-other") == "(eq-other)"
    assert display.numbers_for_labels("as in (eq-jensen)") == "as in (1.5)"
    assert book_files.equation_number("eq-nowhere") is None
    with pytest.raises(ValueError, match="label must be an equation label"):
        book_files.equation_number("")


def test_in_plain_jupyter_a_derivation_is_a_table(plain):
    assert display.chain_grid(ROWS) == (
        '<table>\n'
        '<tr><td style="text-align:right">$\\displaystyle a$</td>'
        '<td style="text-align:left">$\\displaystyle = b$</td><td style="text-align:left">why ✓</td></tr>\n'
        '<tr><td style="text-align:right"></td><td style="text-align:left">$\\displaystyle = c$</td>'
        '<td style="text-align:left"></td></tr>\n'
        '<tr><td style="text-align:right"></td><td style="text-align:left">$\\displaystyle \\ge d$</td>'
        '<td style="text-align:left">so ✓</td></tr>\n</table>\n')
    assert display.chain_table([]) == "<table>\n\n</table>\n"
    assert "<td style=\"text-align:left\"></td><td" in display.chain_grid([("a", "", "")])
    assert display.html_and_pdf("<b>site</b>", "$$x$$") == "<b>site</b>"


def test_in_the_book_the_site_gets_the_grid_and_the_pdf_a_block_with_numbered_steps():
    assert display.equation("eq-jensen") == "{eq}`eq-jensen`"
    grid = display.chain_grid(ROWS)
    assert grid.startswith('<div class="elbo-chain">') and grid.count("elbo-tick") == 2
    assert display.chain_grid([("a", "= b", "")]).count('<div class="elbo-why"></div>') == 1
    assert display.chain_latex(ROWS) == (
        "$$\n\\begin{alignedat}{2}\n"
        "a &= b &\\qquad& \\text{step 1} \\\\\n"
        " &= c &\\qquad&  \\\\\n"
        " &\\ge d &\\qquad& \\text{step 2}\n"
        "\\end{alignedat}\n$$\n\nStep 1: why ✓; step 2: so ✓.\n")
    assert display.chain_latex([("a", "= b", "")]) == (
        "$$\n\\begin{alignedat}{2}\na &= b &\\qquad& \n\\end{alignedat}\n$$\n")
    assert display.html_and_pdf("<b>site</b>\n", "$$x$$\n") == (
        "```{only} html\n<b>site</b>\n```\n\n```{only} latex\n$$x$$\n```\n")
