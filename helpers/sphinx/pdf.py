"""Sphinx extension: the whole book as one PDF (``jupyter-book build . --builder pdflatex``).

- The LaTeX preamble gets the book's macros (``\\E``, ``\\KL``, ...) from the same
  place the website takes them, ``mathjax3_config.tex.macros`` in ``_config.yml``,
  and numbers the chapters as the site does (:data:`PARTS`).
- Every page's download menu offers the PDF (``elbo-book.pdf`` at the site's
  root) when one was built before the HTML: ``.ci/run`` builds the PDF first and
  copies it into the site (``html_extra_path``); without it the entry is left out.
"""

from __future__ import annotations

from pathlib import Path

PDF = "elbo-book.pdf"


def latex_macros(macros: dict[str, str]) -> str:
    """Each macro (no arguments) defined robustly, over any definition LaTeX already has
    (``\\N``), and as its own name in PDF bookmarks (a heading with ``\\KL`` in it)."""
    if not isinstance(macros, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in macros.items()):
        raise TypeError(f"macros must be a dict of names to LaTeX strings, got {macros!r}")
    defined = "".join(rf"\providecommand{{\{name}}}{{}}\DeclareRobustCommand{{\{name}}}{{{body}}}"
                      + "\n" for name, body in macros.items())
    # (psdextra's \Vert breaks a bookmark: "Improper alphabetic constant")
    bookmarks = "".join(rf"\def\{name}{{{name}}}" for name in macros) + r"\def\Vert{||}"
    return defined + rf"\AtBeginDocument{{\pdfstringdefDisableCommands{{{bookmarks}}}}}" + "\n"


#: The site numbers only the chapters of its second part ("Chapters", 1 to 11; the
#: equations 1.1, ...); the notation page and the back matter are unnumbered.  In
#: LaTeX every \chapter is numbered, so each \part sets whether its chapters are.
NUMBERED_PART = 2
PARTS = r"""
\makeatletter
\newcounter{elbopart}
\let\elbo@part\part
\AtBeginDocument{\edef\elbo@secnumdepth{\the\value{secnumdepth}}}
\renewcommand{\part}[1]{\elbo@part{#1}\stepcounter{elbopart}%
  \ifnum\value{elbopart}=NUMBERED \setcounter{secnumdepth}{\elbo@secnumdepth}\setcounter{chapter}{0}%
  \else\setcounter{secnumdepth}{-1}\fi}
\makeatother
% unicode-math sets \setminus as U+29F5, which Latin Modern Math lacks.
\AtBeginDocument{\renewcommand{\setminus}{\mathbin{\backslash}}}
""".replace("NUMBERED", str(NUMBERED_PART))


def _add_macros(app, config):
    macros = (config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + "\n" + latex_macros(macros) + PARTS
    config.latex_elements = elements


def _built_pdf(app) -> Path:
    return Path(app.outdir).parent / "latex" / PDF


def _offer_pdf(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or not _built_pdf(app).is_file():
        return
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append({
                "type": "link",
                "url": context["pathto"](PDF, 1),
                "text": "book (.pdf)",
                "icon": "fas fa-book",
                "tooltip": "The whole book as one PDF",
                "label": "download-book-pdf-button",
            })


def _copy_pdf(app, exception):
    if exception is None and app.builder.format == "html" and _built_pdf(app).is_file():
        target = Path(app.outdir) / PDF
        target.write_bytes(_built_pdf(app).read_bytes())


def setup(app):
    app.connect("config-inited", _add_macros)
    app.connect("html-page-context", _offer_pdf, priority=600)
    app.connect("build-finished", _copy_pdf)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
