"""How checks look on the page: the strength mark, the math block, the footer.

Every rendered check carries one mark, ``✔`` followed by its strength, linked
to the legend on the introduction page (its heading, ``intro.md#how-strongly-each-result-is-checked``), so a
reader can tell a proof from a float sample at a glance.  Equation labels are
written as ``{eq}`` roles, which the book renders as the equation's number,
linked: in footers and in the reasons of a derivation's steps alike.

A derivation is laid out as a grid (``chain_grid``, styled by
``book/_static/book.css``): the left side, each step's relation and formula,
and its reason with a check mark, in three columns on a wide screen and one
under the other on a phone, so that no reason is ever pushed off the screen.

All of that is for the book build, which sets ``ELBO_BOOK_OUTPUT=myst`` for its
kernels (``helpers/sphinx/cache_guard.py``): MyST-NB renders the roles and the
site has the stylesheet.  Anywhere else (a chapter run in plain Jupyter) the
same calls write plain Markdown: the mark without a link, an equation as its
number (:func:`helpers.book_files.equation_number`, from the helpers' wheel;
the label itself in the repository, which has no numbers before a build) and a
derivation as an HTML table (``chain_table``).
"""

from __future__ import annotations

import os
import re

from helpers.verify import proof_cache
from helpers.verify.strength import MEANING, SHOWN

CHECK_TEX = r"{\color{green}\checkmark}"
LEGEND = "intro.md#how-strongly-each-result-is-checked"
#: A checked statement longer than this (in LaTeX characters) is described in words
#: in the report, so that its table fits a phone.
WHAT_LIMIT = 110


#: The environment variable that says who renders the Markdown: "myst" is the book build.
OUTPUT = "ELBO_BOOK_OUTPUT"


def for_the_book() -> bool:
    """True in the book build (MyST-NB renders the output), False in plain Jupyter."""
    return os.environ.get(OUTPUT) == "myst"


def mark(strength: str) -> str:
    """``✔ <strength>``, linked to the legend (in the book) or with its meaning as a tooltip."""
    if not for_the_book():
        return f'<span title="{MEANING[strength]}">✔ {SHOWN[strength]}</span>'
    target = LEGEND
    return f'[✔ {SHOWN[strength]}]({target} "{MEANING[strength]}")'


def equation(label: str | None) -> str:
    """A reference to the labelled equation, rendered as its number."""
    if not label:
        return ""
    if not for_the_book():
        from helpers.book_files import equation_number
        return f"({equation_number(label) or label})"
    return f"{{eq}}`{label}`"


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


#: A label in running text, "(eq-jensen)" or "eq-jensen": shown as the equation's number.
_LABEL = re.compile(r"\((eq-[A-Za-z0-9-]*[A-Za-z0-9])\)"
                    r"|(?<![`\w-])(eq-[A-Za-z0-9-]*[A-Za-z0-9])(?![`\w-])")
_MARKDOWN = set("\\`*_[]<>{}#|~")


def numbers_for_labels(text: str) -> str:
    """``text`` with each equation label, ``(eq-x)`` or ``eq-x``, as an ``{eq}`` role."""
    return _LABEL.sub(lambda m: equation(m.group(1) or m.group(2)), text)


def reason_markdown(reason: str) -> str:
    """A step's reason as MyST: words escaped, ``$...$`` kept as math, labels as numbers."""
    reason_tex(reason)                       # refuses an empty reason or an unmatched '$'
    out = []
    for i, part in enumerate(reason.split("$")):
        if i % 2:
            out.append(f"${part}$")
        else:
            escaped = "".join("\\" + c if c in _MARKDOWN else c for c in part)
            out.append(numbers_for_labels(escaped))
    return "".join(out)


def chain_grid(rows: list[tuple[str, str, str]]) -> str:
    """Rows ``(left side, relation and formula, reason)`` (LaTeX, LaTeX, MyST; any may be
    empty) as the grid of a derivation: HTML boxes around MyST, one box per cell.

    A row with a reason starts a step and the rows after it without one continue its
    formula; each step is a box of its own, so that on a phone its reason can follow
    the step's last line.
    """
    if not for_the_book():
        return chain_table([(f"$\\displaystyle {left}$" if left else "",
                             f"$\\displaystyle {formula}$" if formula else "",
                             f"{reason} ✓" if reason else "") for left, formula, reason in rows])

    def cell(kind: str, body: str, math: bool = True) -> str:
        if not body:
            return f'<div class="elbo-{kind}"></div>\n'
        inner = f"$\\displaystyle {body}$" if math else body
        return f'<div class="elbo-{kind}">\n\n{inner}\n\n</div>\n'
    out = ['<div class="elbo-chain">\n']
    for i, (left, formula, reason) in enumerate(rows):
        if i == 0 or reason:
            out.append("</div>\n" * (i > 0) + '<div class="elbo-step">\n')
        out += [cell("lhs", left), cell("rhs", formula),
                cell("why", f'{reason} <span class="elbo-tick">✓</span>' if reason else "",
                     math=False)]
    return "".join(out) + "</div>\n" * (2 if rows else 1)


def chain_table(rows: list[tuple[str, str, str]]) -> str:
    """Rows ``(left side, step, reason)``, each already Markdown, as an HTML table: the
    form of a derivation in plain Jupyter, which has no stylesheet for the grid."""
    def row(cells):
        return "<tr>" + "".join(f'<td style="text-align:{align}">{cell}</td>' for align, cell
                                in zip(("right", "left", "left"), cells)) + "</tr>"
    return "<table>\n" + "\n".join(row(cells) for cells in rows) + "\n</table>\n"


def chain_latex(rows: list[tuple[str, str, str]]) -> str:
    """The rows of :func:`chain_grid` as the PDF shows them: one ``alignedat`` block whose
    steps are numbered at the right, then a sentence with each step's reason (MyST, so
    that equation references become numbers there too)."""
    lines, reasons = [], []
    for left, formula, reason in rows:
        if reason:
            reasons.append(reason)
        tag = rf"\text{{step {len(reasons)}}}" if reason else ""
        lines.append(f"{left} &{formula} &\\qquad& {tag}")
    math = "\\begin{alignedat}{2}\n" + " \\\\\n".join(lines) + "\n\\end{alignedat}"
    said = "; ".join(f"step {i}: {reason} ✓" for i, reason in enumerate(reasons, 1))
    return math_block(math) + (f"\n{said[0].upper()}{said[1:]}.\n" if said else "")


def html_and_pdf(html: str, pdf: str) -> str:
    """MyST that shows ``html`` on the website and ``pdf`` in the PDF (Sphinx's ``only``);
    outside the book build, ``html`` alone."""
    if not for_the_book():
        return html
    return f"```{{only}} html\n{html}```\n\n```{{only}} latex\n{pdf}```\n"


def math_block(body: str) -> str:
    return f"$$\n{body}\n$$\n"


def stacked(*parts: list[str], relations: tuple[str, ...] = ()) -> str:
    """Sides of a relation, each broken into lines, as one left-aligned ``aligned`` block.

    ``parts[0]`` is the left side's lines; each later part is preceded by its
    relation (``=``, ``\\ge``, ...) from ``relations``.
    """
    rows = []
    for i, part in enumerate(parts):
        for j, line in enumerate(part):
            lead = relations[i - 1] + " " if i and j == 0 else (r"\quad " if j else "")
            rows.append(f"&{lead}{line}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def footer(strength: str, label: str | None, notes: list[str]) -> str:
    """The line under a check: its mark, the equation it verifies, and how it was checked."""
    head = mark(strength)
    if label:
        head += f" {equation(label)}"
    text = numbers_for_labels("; ".join(notes))
    return f"\n<small>{head}: {text}.</small>\n" if text else f"\n<small>{head}</small>\n"


#: A step of a chain longer than this many LaTeX characters is broken into lines
#: (LaTeX source runs about twice as long as the rendered formula).
LINE = 90


def _signed_terms(expr):
    """The terms of ``expr`` as (sign, LaTeX of the term without its sign)."""
    import sympy as sp
    terms = expr.as_ordered_terms() if isinstance(expr, sp.Add) else (expr,)
    out = []
    for term in terms:
        negative = term.could_extract_minus_sign()
        out.append(("-" if negative else "+", sp.latex(-term if negative else term)))
    return out


@proof_cache.remembered("latex")
def latex(expr) -> str:
    """SymPy's LaTeX of ``expr`` (remembered across runs: printing a long formula is slow)."""
    import sympy as sp
    return sp.latex(expr)


def lines(expr, width: int = LINE, shown: str | None = None) -> list[str]:
    """``expr`` in LaTeX, broken between terms into lines of about ``width`` characters.

    The first line carries no leading ``+``; each later line starts with its
    sign.  A hand-written ``shown`` display is kept whole (it cannot be split
    safely), and so is a single term.
    """
    if shown is not None:
        return [shown]
    return list(_lines(expr, str(width)))


@proof_cache.remembered("lines")
def _lines(expr, width: str) -> tuple:
    import sympy as sp
    width = int(width)
    whole = latex(expr)
    if len(whole) <= width:
        return (whole,)
    if isinstance(expr, sp.Sum) and isinstance(expr.function, sp.Add):
        body = sp.Dummy("body")             # the sum sign, then its long summand in lines
        head = sp.latex(sp.Sum(body, *expr.limits)).replace(sp.latex(body), "").strip()
        inner = lines(expr.function, width)
        if len(inner) > 1:
            inner[0] = head + r" \Bigl(" + inner[0]
            inner[-1] += r" \Bigr)"
            return tuple(inner)
    if not isinstance(expr, sp.Add):
        return (whole,)
    result, current = [], ""
    for i, (sign, term) in enumerate(_signed_terms(expr)):
        piece = (("- " if sign == "-" else "") if i == 0 else f" {sign} ") + term
        if current and len(current) + len(piece) > width:
            result.append(current)
            current = piece.strip()       # a later piece starts with its sign: "+ q", "- s"
        else:
            current += piece
    result.append(current)
    return tuple(result)


def short_math(text: str, width: int = 70) -> str:
    """``text`` with each ``$...$`` longer than ``width`` replaced by words (for tables),
    and each equation label in its words shown as the equation's number."""
    parts = text.split("$")
    if len(parts) % 2 == 0:
        return numbers_for_labels(text)
    return "".join(f"${p}$" if i % 2 and len(p) <= width else
                   ("the formula as displayed" if i % 2 else numbers_for_labels(p))
                   for i, p in enumerate(parts))
