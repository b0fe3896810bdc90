"""Which equations a MyST page labels.

A labelled equation is display math written ``$$ ... $$ (eq-name)`` or a
``{math}`` directive with ``:label: eq-name``, also inside other directives
(a ``{prf:theorem}``, an admonition).  Code cells are never searched.  The
page is parsed with myst-parser's own Markdown parser, so what counts here is
what the book build numbers.
"""

from __future__ import annotations

import re
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


def labels_in_text(text: str) -> list[str]:
    """Equation labels in MyST text, in order of appearance."""
    found: list[str] = []
    for token in _parser().parse(text):
        if token.type in ("math_block_label", "amsmath") and token.info:
            found.append(token.info)
        elif token.type in ("fence", "colon_fence"):
            directive = _DIRECTIVE.match(token.info.strip())
            if not directive:
                continue
            name = directive.group(1)
            if name == "math":
                found += _LABEL_OPTION.findall(token.content)
            elif name not in _NOT_MARKDOWN:
                found += labels_in_text(_directive_body(token.content))
    return found


def equation_labels(path: str | Path) -> list[str]:
    """Equation labels defined in the MyST file at ``path`` (the book names them ``eq-...``)."""
    return labels_in_text(Path(path).read_text(encoding="utf-8"))
