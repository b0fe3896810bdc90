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
