"""Which equations a MyST page labels.

A labelled equation is display math written ``$$ ... $$ (eq-name)`` or a
``{math}`` directive with ``:label: eq-name``, also inside other directives
(a ``{prf:theorem}``, an admonition).  Code cells are never searched.  The
page is parsed with myst-parser's own Markdown parser, so what counts here is
what the book build numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from myst_parser.config.main import MdParserConfig
from myst_parser.mdit_to_docutils.base import DocutilsRenderer
from myst_parser.parsers.mdit import create_md_parser

_EXTENSIONS = {"dollarmath", "amsmath", "colon_fence"}
_LABEL_OPTION = re.compile(r"^:label:\s*(\S+)\s*$", re.MULTILINE)
_DIRECTIVE = re.compile(r"^\{([\w:-]+)\}")
_NOT_MARKDOWN = {"code-cell", "code", "code-block", "glue:math", "raw"}


def _parser():
    return create_md_parser(MdParserConfig(enable_extensions=_EXTENSIONS), DocutilsRenderer)


def _directive_body(content: str) -> str:
    """A directive's content with its ``:option:`` lines removed."""
    lines = content.splitlines()
    while lines and lines[0].startswith(":"):
        lines.pop(0)
    return "\n".join(lines)


#: A display that defines rather than states: ``:=`` and its relatives.
_DEFINES = re.compile(r":=|\\coloneqq|\\eqqcolon|\\triangleq|\\stackrel\{\\text\{def\}\}"
                      r"|\\overset\{\\text\{def\}\}|\\overset\{\\mathrm\{def\}\}")
_DEFINITIONS = {"prf:definition"}


@dataclass(frozen=True)
class Equation:
    """A labelled display: its label, its LaTeX, and whether it is a definition."""

    label: str
    tex: str
    definition: bool

    def __post_init__(self):
        for name in ("label", "tex"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a string, got {getattr(self, name)!r}")
        if not isinstance(self.definition, bool):
            raise TypeError(f"definition must be True or False, got {self.definition!r}")


def equations_in_text(text: str, in_definition: bool = False) -> list[Equation]:
    """Labelled equations in MyST text, in order of appearance.

    A display is a *definition* when it sits in a ``{prf:definition}`` or
    writes ``:=`` (``\\coloneqq``, ``\\triangleq``, ...); a definition is
    not a result, so no check may claim to verify it.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string of MyST Markdown, got {type(text).__name__}")
    if not isinstance(in_definition, bool):
        raise TypeError(f"in_definition must be True or False, got {in_definition!r}")
    found: list[Equation] = []
    for token in _parser().parse(text):
        # (a bare \begin{align} is an "amsmath" token, which MyST gives no label)
        if token.type == "math_block_label":
            tex = token.content
            found.append(Equation(token.info, tex, in_definition or bool(_DEFINES.search(tex))))
        elif token.type in ("fence", "colon_fence"):
            directive = _DIRECTIVE.match(token.info.strip())
            if not directive:
                continue
            name = directive.group(1)
            if name == "math":
                body = _directive_body(token.content)
                for label in _LABEL_OPTION.findall(token.content):
                    found.append(Equation(label, body,
                                          in_definition or bool(_DEFINES.search(body))))
            elif name not in _NOT_MARKDOWN:
                found += equations_in_text(_directive_body(token.content),
                                           in_definition or name in _DEFINITIONS)
    return found


def labels_in_text(text: str) -> list[str]:
    """Equation labels in MyST text, in order of appearance."""
    return [equation.label for equation in equations_in_text(text)]


def equations(path: str | Path) -> list[Equation]:
    """Labelled equations of the MyST file at ``path``."""
    return equations_in_text(_read(path))


def equation_labels(path: str | Path) -> list[str]:
    """Equation labels defined in the MyST file at ``path`` (the book names them ``eq-...``)."""
    return labels_in_text(_read(path))


def _read(path) -> str:
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    if not Path(path).is_file():
        raise ValueError(f"path must be an existing MyST file, got {path}")
    return Path(path).read_text(encoding="utf-8")
