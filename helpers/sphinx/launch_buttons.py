"""Sphinx extension: the chapter's notebook to download, and Binder once the repository is known.

- Download: chapters are MyST Markdown, so the theme's download menu would offer
  only the ``.md`` source.  This extension writes the chapter as a notebook with
  its outputs (from the execution cache, or from
  ``_build/jupyter_execute/<page>.ipynb`` when it was just executed) next to the
  page sources and tells sphinx-book-theme about it (``ipynb_source``), which
  adds an ``.ipynb`` entry to the download menu.  The notebook is plain Jupyter:
  its MyST markup is converted (:mod:`helpers.sphinx.plain_notebook`) and its
  first cells say how to install the helpers' wheel
  (:mod:`helpers.sphinx.helpers_wheel`) when they are missing.
- Binder: ``launch_buttons`` in ``_config.yml`` takes effect only when
  ``repository.url`` is set there (sphinx-book-theme fails on launch buttons
  without a repository), so the one setting that turns Binder on is the URL.
"""

import json
from pathlib import Path

import jupytext
import nbformat
from jupyter_cache import get_cache
from myst_nb.sphinx_ext import OUTPUT_FOLDER

from helpers.sphinx.helpers_wheel import wheel_for
from helpers.sphinx.plain_notebook import helpers_cell, plain_notebook, targets_for


def _executed_notebook(app, pagename):
    """The chapter with its outputs, or None if it is not an executed notebook.

    MyST-NB writes ``jupyter_execute/<page>.ipynb`` without outputs when it takes
    them from the cache, so the cache is asked first.
    """
    executed = Path(app.outdir).parent / OUTPUT_FOLDER / f"{pagename}.ipynb"
    if not executed.is_file():
        return None
    cache = get_cache(Path(app.outdir).parent / ".jupyter_cache")
    try:
        _, notebook = cache.merge_match_into_notebook(
            jupytext.read(app.env.doc2path(pagename)))
        return nbformat.writes(notebook)
    except KeyError:                       # not cached: executed in this build
        return executed.read_text(encoding="utf-8")


def _offer_notebook(app, pagename, templatename, context, doctree):
    notebook = _executed_notebook(app, pagename)
    if notebook is None:
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    wheel = wheel_for(app)
    title = app.env.titles[pagename].astext()
    plain = plain_notebook(json.loads(notebook), targets_for(app), helpers_cell(wheel, title))
    target.write_text(json.dumps(plain, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    context["ipynb_source"] = f"{pagename}.ipynb"


def _launch_buttons_need_a_repository(app, config):
    options = config.html_theme_options
    if not options.get("repository_url"):
        options.pop("launch_buttons", None)


def setup(app):
    app.connect("config-inited", _launch_buttons_need_a_repository)
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _offer_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
