"""Sphinx extension: the helpers package as a wheel, offered for download beside each chapter's notebook.

A downloaded chapter runs in plain Jupyter once ``helpers`` is installed.  When
an HTML build writes its first chapter (every equation has its number then),
this extension builds
``elbo_book_helpers-<version>-py3-none-any.whl`` into ``_sources/`` of the
site (where the notebooks are) and adds it to each chapter's download menu.

The wheel is built by pip (``pip wheel``, setuptools, no network) from a staged
copy: ``helpers/`` without the Sphinx extensions, plus ``helpers/_book/`` with
``_config.yml``, ``equations.json`` (each chapter's labelled equations) and
``numbers.json`` (each equation's number on the site), which
:mod:`helpers.book_files` reads there, and the project's ``pyproject.toml`` with each dependency
pinned to the version in ``requirements.txt``, the one the book was checked
with.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from helpers.labels import equations
from helpers.sphinx.plain_notebook import targets_for

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[^\s#;]+)")


def pinned_dependencies(pyproject: str, requirements: str) -> str:
    """``pyproject`` with each dependency that ``requirements`` pins written ``name==version``."""
    pins = {}
    for line in requirements.splitlines():
        if match := PIN.match(line.strip()):
            pins[match["name"].lower().replace("_", "-")] = match["version"]
    block = re.search(r"^dependencies = \[(?P<names>.*?)\]", pyproject, re.S | re.M)
    if block is None:
        raise ValueError("pyproject must have a dependencies = [...] list")
    names = re.findall(r'"([^"]+)"', block["names"])
    pinned = []
    for requirement in names:
        name = re.split(r"[=<>!~ ]", requirement, maxsplit=1)[0]
        version = pins.get(name.lower().replace("_", "-"))
        pinned.append(f"{name}=={version}" if version else requirement)
    listed = ", ".join(f'"{p}"' for p in pinned)
    return pyproject[:block.start()] + f"dependencies = [{listed}]" + pyproject[block.end():]


def chapter_equations(folder: Path) -> dict[str, list[tuple[str, bool]]]:
    """``{chapter: [(label, is_definition), ...]}`` for every MyST chapter in ``folder``."""
    return {chapter.name: [(e.label, e.definition) for e in equations(chapter)]
            for chapter in sorted(folder.glob("*.md")) if equations(chapter)}


def build_wheel(destination: Path, numbers: dict[str, str], root: Path = ROOT) -> Path:
    """Build the helpers' wheel into ``destination``, with the equations' ``numbers``
    (``{"eq-jensen": "1.5"}``); return its path."""
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="helpers-wheel-") as scratch:
        stage = Path(scratch) / "project"
        shutil.copytree(root / "helpers", stage / "helpers",
                        ignore=shutil.ignore_patterns("__pycache__", "sphinx", "_book"))
        book = stage / "helpers" / "_book"
        book.mkdir(parents=True)
        shutil.copy2(root / "_config.yml", book / "_config.yml")
        (book / "equations.json").write_text(json.dumps(chapter_equations(root / "book"),
                                                        indent=1), encoding="utf-8")
        (book / "numbers.json").write_text(json.dumps(numbers, indent=1, sort_keys=True),
                                           encoding="utf-8")
        (stage / "pyproject.toml").write_text(pinned_dependencies(
            (root / "pyproject.toml").read_text(encoding="utf-8"),
            (root / "requirements.txt").read_text(encoding="utf-8")), encoding="utf-8")
        built = Path(scratch) / "wheel"
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "--quiet", "--wheel-dir", str(built), str(stage)],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"building the helpers' wheel failed:\n{result.stdout}{result.stderr}")
        (wheel,) = built.glob("*.whl")
        target = destination / wheel.name
        shutil.copy2(wheel, target)
    return target


def wheel_for(app) -> str:
    """The file name of this build's wheel, built on first use: when the first page is
    written, so after every equation has its number."""
    if getattr(app.builder, "helpers_wheel", None) is None:
        numbers = targets_for(app).equations
        app.builder.helpers_wheel = build_wheel(Path(app.outdir) / "_sources", numbers).name
    return app.builder.helpers_wheel


def _offer_wheel(app, pagename, templatename, context, doctree):
    """Add the wheel to the download menu of every page that offers a notebook."""
    if app.builder.format != "html" or not context.get("ipynb_source"):
        return
    wheel = wheel_for(app)
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].insert(1, {
                "type": "link",
                "url": f"{context['pathto']('_sources', 1)}/{wheel}",
                "text": "helpers (.whl)",
                "icon": "fas fa-box",
                "tooltip": "The book's helpers package, which the notebook needs: "
                           f"pip install {wheel}",
                "label": "download-helpers-button",
            })


def setup(app):
    # After sphinx-book-theme has made its download menu (priority 501).
    app.connect("html-page-context", _offer_wheel, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
