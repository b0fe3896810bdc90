"""Sphinx extension: each chapter's executed notebook behind the page's download button.

Chapters are MyST Markdown, so the theme's download menu would offer only the
``.md`` source.  MyST-NB writes each executed chapter to
``_build/jupyter_execute/<page>.ipynb``; this extension copies it next to the
page sources and tells sphinx-book-theme about it (``ipynb_source``), which
adds an ``.ipynb`` entry, outputs included, to the download menu.
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


def setup(app):
    # Before sphinx-book-theme builds its header buttons (priority 501).
    app.connect("html-page-context", _offer_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
