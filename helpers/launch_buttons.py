"""Sphinx extension: the chapter's notebook to download, and Binder once the repository is known.

- Download: chapters are MyST Markdown, so the theme's download menu would offer
  only the ``.md`` source.  MyST-NB writes each executed chapter to
  ``_build/jupyter_execute/<page>.ipynb``; this extension copies it next to the
  page sources and tells sphinx-book-theme about it (``ipynb_source``), which
  adds an ``.ipynb`` entry, outputs included, to the download menu.
- Binder: ``launch_buttons`` in ``_config.yml`` takes effect only when
  ``repository.url`` is set there (sphinx-book-theme fails on launch buttons
  without a repository), so the one setting that turns Binder on is the URL.
"""

import shutil
from pathlib import Path

from myst_nb.sphinx_ext import OUTPUT_FOLDER


def _offer_notebook(app, pagename, templatename, context, doctree):
    executed = Path(app.outdir).parent / OUTPUT_FOLDER / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(executed, target)
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
