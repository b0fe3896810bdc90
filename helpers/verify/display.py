"""How checks look on the page: the strength mark, the math block, the footer.

Every rendered check carries one mark, ``✔`` followed by its strength, linked
to the legend on the introduction page (its heading, ``intro.md#how-strongly-each-result-is-checked``), so a
reader can tell a proof from a float sample at a glance.  Equation labels are
written as ``{eq}`` roles, which the book renders as the equation's number.
"""

from __future__ import annotations

from helpers.verify.strength import MEANING, SHOWN

CHECK_TEX = r"{\color{green}\checkmark}"
LEGEND = "intro.md#how-strongly-each-result-is-checked"
#: A checked statement longer than this (in LaTeX characters) is described in words
#: in the report, so that its table fits a phone.
WHAT_LIMIT = 110


def mark(strength: str) -> str:
    """``✔ <strength>``, linked to the legend, as Markdown."""
    target = LEGEND
    return f'[✔ {SHOWN[strength]}]({target} "{MEANING[strength]}")'


def equation(label: str | None) -> str:
    """A reference to the labelled equation, rendered as its number."""
    return f"{{eq}}`{label}`" if label else ""


def reason_tex(reason: str) -> str:
    """Reason text for LaTeX: plain words in ``\\text{}``, ``$...$`` kept as math."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"reason must be a non-empty string, got {reason!r}")
    parts = reason.split("$")
    if len(parts) % 2 == 0:
        raise ValueError(f"reason has an unmatched '$': {reason!r}")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
        elif part:
            escaped = "".join("\\" + c if c in "&%#_{}" else c for c in part)
            out.append(r"\text{" + escaped + "}")
    return r"\small " + "".join(out)


def math_block(body: str) -> str:
    return f"$$\n{body}\n$$\n"


def footer(strength: str, label: str | None, notes: list[str]) -> str:
    """The line under a check: its mark, the equation it verifies, and how it was checked."""
    head = mark(strength)
    if label:
        head += f" {equation(label)}"
    text = "; ".join(notes)
    return f"\n<small>{head}: {text}.</small>\n" if text else f"\n<small>{head}</small>\n"
