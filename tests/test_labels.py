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
