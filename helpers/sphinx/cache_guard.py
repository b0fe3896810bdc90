"""Sphinx extension: re-execute the chapters when the helpers change.

jupyter-cache keys each chapter on its cells' source only, so after an edit to
``helpers/`` a cached build would show outputs computed by the old helpers.
This extension stores a hash of the helpers' source next to the cache; when
the hash changes it clears the cache and marks every page for re-reading, so
the next build (even without ``--all``) executes the chapters afresh.

It also sets ``ELBO_BOOK_OUTPUT=myst`` for the kernels the build starts, so
that the checks display MyST (equation roles, the derivation grid) for MyST-NB
to render (:mod:`helpers.verify.display`); elsewhere they display plain Markdown.
"""

import hashlib
import os
import shutil
from pathlib import Path

HELPERS = Path(__file__).resolve().parents[1]


def helpers_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(HELPERS.rglob("*.py")):
        digest.update(str(path.relative_to(HELPERS)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _clear_stale_cache(app):
    cache = Path(app.outdir).parent / ".jupyter_cache"
    stamp = Path(app.outdir).parent / ".helpers-hash"
    current = helpers_hash()
    app.helpers_changed = stamp.is_file() and stamp.read_text() != current
    if app.helpers_changed and cache.exists():
        shutil.rmtree(cache)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)


def _reread_everything(app, env, added, changed, removed):
    return sorted(env.found_docs) if app.helpers_changed else []


def setup(app):
    os.environ["ELBO_BOOK_OUTPUT"] = "myst"     # inherited by every kernel the build starts
    # builder-inited runs before any document is read, so before any execution.
    app.connect("builder-inited", _clear_stale_cache)
    app.connect("env-get-outdated", _reread_everything)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
