"""helpers.labels finds exactly the equations a MyST page labels."""

from helpers.labels import labels_in_text

PAGE = """\
# Title

Inline $a = b$ and a display with no label:

$$
c = d
$$

$$
e = f
$$ (eq-display)

```{math}
:label: eq-directive
g = h
```

````{prf:theorem} Inside a theorem
:label: thm-not-an-equation

$$
i \\ge j
$$ (eq-in-theorem)
````

```{code-cell} ipython3
text = "$$ k $$ (eq-in-code)"
```

Text that says (eq-in-prose) is not a label.
"""


def test_finds_display_directive_and_nested_labels_in_order():
    assert labels_in_text(PAGE) == ["eq-display", "eq-directive", "eq-in-theorem"]


def test_display_math_needs_a_blank_line_before_it():
    # Without the blank line MyST reads inline math: no label is defined.
    assert labels_in_text("Some text\n$$\na\n$$ (eq-glued)\n") == []


def test_labels_not_named_eq_are_still_reported():
    assert labels_in_text("$$\na\n$$ (jensen)\n") == ["jensen"]


def test_definitions_are_told_apart_from_results():
    from helpers.labels import equations_in_text
    text = """
```{prf:definition} Concave
:label: def-x

$$
f(\\lambda a) \\ge \\lambda f(a)
$$ (eq-in-definition)
```

$$
p(x) := \\int p(x, z) \\, dz
$$ (eq-colon-equals)

$$
\\log p(x) \\ge \\ELBO
$$ (eq-result)
"""
    found = {e.label: e.definition for e in equations_in_text(text)}
    assert found == {"eq-in-definition": True, "eq-colon-equals": True, "eq-result": False}


def test_docstring_labels_become_equation_references():
    from helpers.sphinx.docstring_labels import book_labels, with_numbers
    known = frozenset({"eq-jensen", "eq-scvi-model"})
    assert with_numbers("the model (eq-scvi-model).", known) == "the model :eq:`eq-scvi-model`."
    assert with_numbers("bound (book: eq-jensen); Book: eq-jensen.", known) == (
        "bound :eq:`eq-jensen`; Book: :eq:`eq-jensen`.")
    assert with_numbers("``label='eq-jensen'`` and eq-unknown", known) == (
        "``label='eq-jensen'`` and eq-unknown")      # literals and unknown labels stay
    assert with_numbers("my-eq-jensen, eq-jensen-x", known) == "my-eq-jensen, eq-jensen-x"
    labels = book_labels()
    assert {"eq-jensen", "eq-gap-kl", "eq-scvi-model"} <= labels and len(labels) > 80


def test_every_label_the_helpers_cite_is_a_book_equation():
    # The docstrings name the equations their formulas implement; a stale label would
    # point the reader nowhere (and show as a slug on the API page).
    import re
    from pathlib import Path
    from helpers.sphinx.docstring_labels import book_labels
    known, stale = book_labels(), []
    for path in sorted(Path(__file__).resolve().parents[1].joinpath("helpers").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            parts = line.split("``")                      # literals are examples
            for part in parts[::2]:
                stale += [f"{path.name}:{number}: {label}" for label in
                          re.findall(r"(?<![\w-])eq-[a-z0-9-]*[a-z0-9]", part)
                          if label not in known]
    assert not stale, stale


def test_a_literal_across_a_line_break_stays_literal():
    from helpers.sphinx.docstring_labels import with_numbers
    text = "``a =\nb`` and the ELBO (eq-jensen)"
    assert with_numbers(text, frozenset({"eq-jensen"})) == "``a =\nb`` and the ELBO :eq:`eq-jensen`"



def test_math_directives_in_either_fence_and_what_they_hold():
    from helpers.labels import equations_in_text
    text = ("```python\nx = 1  # a fence that is no directive\n```\n\n"
            ":::{math}\n:label: eq-colon\n:nowrap:\na := b\n:::\n\n"
            "```{math}\n:label: eq-tick\nc = d\n```\n\n"
            "\\begin{align}\ne &= f\n\\end{align}\n\n"
            "$$\ng = h\n$$ (eq-dollar)\n")
    found = equations_in_text(text)
    assert [e.label for e in found] == ["eq-colon", "eq-tick", "eq-dollar"]
    assert [e.tex.strip() for e in found] == ["a := b", "c = d", "g = h"]   # options removed
    assert [e.definition for e in found] == [True, False, False]           # := defines
