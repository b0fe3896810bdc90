"""helpers.sphinx.plain_notebook: MyST markup becomes the Markdown plain Jupyter renders."""

import pytest

from helpers.sphinx.helpers_wheel import pinned_dependencies
from helpers.sphinx.plain_notebook import (Targets, glued_values, helpers_cell,
                                           plain_derivations, plain_markdown, plain_notebook)

TARGETS = Targets(
    equations={"eq-jensen": "1.5", "eq-elbo": "2.1"},
    numbered={"thm-jensen": "Theorem 1.1", "fig-gap": "Fig. 1.2", "ex-jensen-1": "Exercise 1.1",
              "def-concave": "Definition 1.1"},
    titles={"ch-jensen": "Concavity and Jensen’s inequality"},
    citations={"kingma2014auto": ("Kingma and Welling", "2014"),
               "ho2020denoising": ("Ho et al.", "2020")})
GLUED = {"gap": {"text/plain": "0.5032244500604057"},
         "fig-gap": {"image/png": "iVBORw0K", "text/plain": "<Figure>"},
         "sol": {"text/markdown": "as in {eq}`eq-jensen`", "text/plain": "<Derivation>"}}


def plain(text, attachments=None):
    return plain_markdown(text, TARGETS, GLUED, attachments)


@pytest.mark.parametrize("myst, markdown", [
    ("by {eq}`eq-jensen`.", "by (1.5)."),
    ("{prf:ref}`thm-jensen` and {numref}`fig-gap`", "Theorem 1.1 and Fig. 1.2"),
    ("{numref}`Figure %s <fig-gap>`", "Figure 1.2"),
    ("{ref}`ch-jensen`; {ref}`the first chapter <ch-jensen>`",
     "Concavity and Jensen’s inequality; the first chapter"),
    ("a VAE {cite:p}`kingma2014auto,ho2020denoising`", "a VAE (Kingma and Welling 2014; Ho et al. 2020)"),
    ("{cite:t}`kingma2014auto` wrote", "Kingma and Welling (2014) wrote"),
    ("the gap is {glue:text}`gap:.4f` nats", "the gap is 0.5032 nats"),
    ("the gap is {glue:text}`gap`", "the gap is 0.5032244500604057"),
    ("see {mod}`helpers.verify`", "see `helpers.verify`"),
    ("[✔ proof](intro.md#legend \"a proof\"): step 1", "✔ proof: step 1"),
    ("[SymPy](https://www.sympy.org)", "[SymPy](https://www.sympy.org)"),
    ("(sec-a)=\n## A heading", "## A heading"),
    ("% a comment\ntext", "text"),
])
def test_each_role_and_target_becomes_what_the_site_shows(myst, markdown):
    assert plain(myst) == markdown


def test_a_labelled_display_carries_its_number_as_a_tag():
    assert plain("$$\nx = 1\n$$ (eq-elbo)\n\nNext.") == "$$\nx = 1\n\\tag{2.1}\n$$\n\nNext."


def test_code_in_a_fence_is_left_alone():
    text = "```python\n{eq}`eq-unknown` stays\n```"
    assert plain(text) == text


def test_theorem_exercise_and_folded_solution():
    theorem = plain("```{prf:theorem} Jensen's inequality\n:label: thm-jensen\n\n"
                    "Then {eq}`eq-jensen`.\n```")
    assert theorem == "**Theorem 1.1** (Jensen's inequality).\n\nThen (1.5)."
    exercise = plain(":::{exercise}\n:label: ex-jensen-1\n\nCompute it.\n:::")
    assert exercise == "**Exercise 1.1.**\n\nCompute it."
    solution = plain("::::{solution} ex-jensen-1\n:class: dropdown\n\nDifferentiate.\n\n"
                     "```{glue} sol\n```\n::::")
    assert solution == ("<details>\n<summary>Solution to Exercise 1.1</summary>\n\n"
                        "Differentiate.\n\nas in (1.5)\n\n</details>")


def test_of_the_website_and_pdf_forms_the_website_one_is_kept():
    both = "```{only} html\n<b>grid</b>\n```\n\n```{only} latex\n$$x$$\n```\n\nafter"
    assert plain(both) == "<b>grid</b>\n\nafter"


def test_a_glued_figure_is_an_attachment_with_its_caption():
    attachments = {}
    figure = plain("Before.\n```{glue:figure} fig-gap\n:name: fig-gap\n\n"
                   "The gap $g$. Right: more.\n```\nAfter.", attachments)
    assert figure == ("Before.\n\n![The gap g.](attachment:fig-gap.png)\n\n"
                      "*Fig. 1.2.* The gap $g$. Right: more.\n\nAfter.")
    assert attachments == {"fig-gap.png": {"image/png": "iVBORw0K"}}


def test_a_list_table_becomes_an_html_table():
    table = plain("```{list-table} Symbols.\n:header-rows: 1\n\n* - Source\n  - Book\n"
                  "* - $\\theta$\n  - - one\n    - two\n```")
    assert table == ("<p><strong>Symbols.</strong></p>\n<table>\n<tr><th>Source</th><th>Book</th></tr>\n"
                     "<tr><td>$\\theta$</td><td><ul><li>one</li><li>two</li></ul></td></tr>\n</table>")


@pytest.mark.parametrize("myst, says", [
    ("{eq}`eq-nowhere`", "equation 'eq-nowhere' has no target"),
    ("{cite:p}`nobody2020`", "citation 'nobody2020' has no target"),
    ("{glue:text}`missing`", "glued value 'missing' is not glued in this chapter"),
    ("{term}`ELBO`", "the role {term} has no plain-Markdown form"),
    ("```{warning}\nCareful.\n```", "the directive {warning} has no plain-Markdown form"),
    (":::{exercise}\n:label: ex-jensen-1\nNever closed.", "is never closed"),
])
def test_markup_without_a_plain_form_is_an_error_not_a_leak(myst, says):
    with pytest.raises(ValueError, match=says.replace("{", r"\{").replace("}", r"\}")
                       .replace("(", r"\(").replace(")", r"\)")):
        plain(myst)


def test_a_derivation_grid_becomes_a_table_row_per_step():
    grid = ('<div class="elbo-chain">\n<div class="elbo-step">\n<div class="elbo-lhs">\n\n$a$\n\n'
            '</div>\n<div class="elbo-rhs">\n\n$= b$\n\n</div>\n<div class="elbo-why">\n\n'
            'because <span class="elbo-tick">✓</span>\n\n</div>\n</div>\n<div class="elbo-step">\n'
            '<div class="elbo-lhs"></div>\n<div class="elbo-rhs">\n\n$= c$\n\n</div>\n'
            '<div class="elbo-why">\n\nso\n\n</div>\n</div>\n</div>\n\n<small>proof</small>')
    assert plain_derivations(grid) == (
        '<table>\n<tr><td style="text-align:right">$a$</td><td style="text-align:left">$= b$</td>'
        '<td style="text-align:left">because ✓</td></tr>\n'
        '<tr><td style="text-align:right"></td><td style="text-align:left">$= c$</td>'
        '<td style="text-align:left">so</td></tr>\n</table>\n\n<small>proof</small>')


def test_a_notebook_is_converted_in_its_cells_and_outputs():
    glue_output = {"output_type": "display_data", "data": {
        "application/papermill.record/text/plain": "0.5032244500604057"},
        "metadata": {"scrapbook": {"name": "gap", "mime_prefix": "application/papermill.record/"}}}
    shown = {"output_type": "display_data", "metadata": {},
             "data": {"text/markdown": "step by {eq}`eq-jensen`", "text/plain": "x"}}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"jupytext": {}},
                "cells": [{"cell_type": "markdown", "metadata": {},
                           "source": "The gap {glue:text}`gap:.2f`."},
                          {"cell_type": "code", "metadata": {}, "source": "glue('gap', g)",
                           "outputs": [glue_output, shown], "execution_count": 1}]}
    assert glued_values(notebook) == {"gap": {"text/plain": "0.5032244500604057"}}
    first = helpers_cell("elbo_book_helpers-0.1.0-py3-none-any.whl", "Chapter")
    result = plain_notebook(notebook, TARGETS, first)
    assert result["cells"][:2] == first and "jupytext" not in result["metadata"]
    assert result["cells"][2]["source"] == "The gap 0.50."
    assert result["cells"][3]["outputs"] == [
        {**shown, "data": {"text/markdown": "step by (1.5)", "text/plain": "x"}}]
    assert notebook["cells"][0]["source"] == "The gap {glue:text}`gap:.2f`."   # not changed in place


def test_the_first_cell_names_the_wheel_and_fails_clearly_without_it():
    note, check = helpers_cell("pkg.whl", "Concavity")
    assert note["source"].startswith("# Concavity\n") and "%pip install pkg.whl" in note["source"]
    namespace = {"__builtins__": __builtins__}
    exec(check["source"], namespace)              # helpers is importable here: no error
    with pytest.raises(ModuleNotFoundError, match="download pkg.whl"):
        exec(check["source"].replace("import helpers", "import helpers_not_installed"), namespace)


def test_the_wheel_pins_the_versions_the_book_was_checked_with():
    pyproject = 'name = "x"\ndependencies = ["numpy", "SymPy", "antlr4-python3-runtime==4.11.1", "extra"]\n'
    requirements = "# pins\nnumpy==2.4.6\nsympy==1.14.0   # the algebra\n-e .\n"
    assert pinned_dependencies(pyproject, requirements) == (
        'name = "x"\ndependencies = ["numpy==2.4.6", "SymPy==1.14.0", '
        '"antlr4-python3-runtime==4.11.1", "extra"]\n')
    with pytest.raises(ValueError, match="dependencies"):
        pinned_dependencies('name = "x"\n', requirements)
