"""A chapter's first cell: the figure style and the book's LaTeX macros.

The macros (``\\E``, ``\\KL``, ``\\Var``, ``\\N``, ``\\ELBO``) are defined once,
in ``_config.yml`` (``mathjax3_config``), which the website uses.  A chapter
opened as a notebook in Jupyter does not read that file, so
:func:`setup_chapter` displays the same definitions as ``\\newcommand``: once
MathJax has typeset them, every later formula in the notebook can use them.
(The book build removes that output; the site has the macros already.)

:func:`glue` is MyST-NB's, which the book build reads; where MyST-NB is not
installed (a downloaded chapter in plain Jupyter) it only displays the value,
or nothing when ``display=False``.
"""

from pathlib import Path

import yaml
from IPython.display import Math, display

from helpers.book_files import book_file
from helpers.plotting import use_book_style

try:
    from myst_nb import glue as _myst_glue
except ModuleNotFoundError:                       # plain Jupyter: nothing reads the glue
    _myst_glue = None


def glue(name: str, variable, display: bool = True):
    """Glue ``variable`` under ``name`` for the book's text (MyST-NB's ``glue``).

    Without MyST-NB (a downloaded chapter in plain Jupyter) nothing pastes it
    anywhere: the value is shown, or nothing when ``display=False``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if not isinstance(display, bool):
        raise TypeError(f"display must be True or False, got {display!r}")
    if _myst_glue is not None:
        return _myst_glue(name, variable, display=display)
    if display:
        globals()["display"](variable)        # IPython's display; the argument hides it
    return None


CONFIG = book_file("_config.yml")


def book_macros(config: Path = CONFIG) -> dict[str, str]:
    """The macros of ``_config.yml``: ``{name: definition}``, e.g. ``{"E": "\\mathbb{E}"}``."""
    if not isinstance(config, (str, Path)):
        raise TypeError(f"config must be a file path, got {type(config).__name__}")
    config = Path(config)
    if not config.is_file():
        raise ValueError(f"config must be the book's _config.yml; {config} does not exist")
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    try:
        return dict(settings["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"])
    except (KeyError, TypeError):
        raise ValueError(f"{config} defines no sphinx.config.mathjax3_config.tex.macros") from None


def macro_definitions(macros: dict[str, str]) -> str:
    """LaTeX ``\\newcommand`` lines for ``macros`` (no arguments)."""
    if not isinstance(macros, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in macros.items()):
        raise TypeError(f"macros must be a dict of names to LaTeX strings, got {macros!r}")
    return "".join(rf"\newcommand{{\{name}}}{{{body}}}" for name, body in macros.items())


def setup_chapter() -> None:
    """Apply the figure style and make the book's macros available in this notebook."""
    use_book_style()
    display(Math(macro_definitions(book_macros())))
