"""The notebooks and the wheel the built site offers, used as a reader uses them.

Run after the build, with the browser test (``python -m pytest tests/browser``).
Every chapter's downloaded ``.ipynb`` must be plain Jupyter: no MyST markup left
in its Markdown cells or in the Markdown its cells display, its figures attached,
and its first cells saying how to get the helpers.  Then one chapter is run top
to bottom the way a reader would: in a fresh virtual environment holding only
Jupyter's kernel machinery and the helpers' wheel downloaded from the site, in a
folder with nothing of the repository around it.
"""

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, toc_files

SITE = ROOT / "_build" / "html"
SOURCES = SITE / "_sources" / "book"
CHAPTERS = [page for page in toc_files() if (SOURCES / f"{Path(page).stem}.ipynb").is_file()]
RUN_CHAPTER = "jensen"
MYST = re.compile(r"\{[a-z]+(?::[a-z]+)?\}`|^\s*(?:`{3,}|:{3,})\{|^\([\w-]+\)=\s*$|"
                  r"^\$\$\s*\(eq-|elbo-chain|\]\([\w-]+\.md", re.M)


def _wheel() -> Path:
    wheels = sorted((SITE / "_sources").glob("elbo_book_helpers-*-py3-none-any.whl"))
    assert len(wheels) == 1, f"expected one helpers wheel in {SITE / '_sources'}, found {wheels}"
    return wheels[0]


def _markdown_texts(notebook):
    for number, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            yield number, "".join(cell["source"]), cell
        for output in cell.get("outputs", []):
            if "text/markdown" in output.get("data", {}):
                yield number, "".join(output["data"]["text/markdown"]), cell


def test_chapters_offer_notebooks():
    assert len(CHAPTERS) >= 11, CHAPTERS


@pytest.mark.parametrize("page", CHAPTERS)
def test_a_downloaded_notebook_is_plain_jupyter(page):
    notebook = json.loads((SOURCES / f"{Path(page).stem}.ipynb").read_text(encoding="utf-8"))
    assert "jupytext" not in notebook["metadata"]
    first, check = notebook["cells"][:2]
    assert first["cell_type"] == "markdown" and _wheel().name in "".join(first["source"])
    assert check["cell_type"] == "code" and "import helpers" in "".join(check["source"])
    for number, text, cell in _markdown_texts(notebook):
        leftover = MYST.search(text)
        assert leftover is None, (f"{page}, cell {number}: MyST markup a plain notebook shows as "
                                  f"text: {text[max(0, leftover.start() - 60):leftover.end() + 40]!r}")
        for name in re.findall(r"\(attachment:([^)]+)\)", text):
            assert name in cell.get("attachments", {}), f"{page}, cell {number}: {name} not attached"
    assert not any(output.get("metadata", {}).get("scrapbook")
                   for cell in notebook["cells"] for output in cell.get("outputs", []))


def test_the_download_menu_offers_the_wheel_the_notebook_names():
    wheel = _wheel()
    page = (SITE / "book" / f"{RUN_CHAPTER}.html").read_text(encoding="utf-8")
    assert f'href="../_sources/{wheel.name}"' in page
    assert f'href="../_sources/book/{RUN_CHAPTER}.ipynb"' in page
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith("METADATA"))
    assert {"helpers/verify/__init__.py", "helpers/_book/_config.yml",
            "helpers/_book/equations.json", "helpers/_book/numbers.json"} <= names
    assert not any(n.startswith("helpers/sphinx/") for n in names)
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    sympy = re.search(r"^sympy==(\S+)", requirements, re.M)[1]
    assert f"Requires-Dist: sympy=={sympy}" in metadata


RUNNER = """
import sys, nbformat, nbclient
notebook = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(notebook, sys.argv[3])
"""


def test_a_downloaded_chapter_runs_in_a_fresh_environment_with_only_the_wheel(tmp_path):
    venv, work = tmp_path / "venv", tmp_path / "reader"
    work.mkdir()
    notebook = work / f"{RUN_CHAPTER}.ipynb"
    notebook.write_bytes((SOURCES / f"{RUN_CHAPTER}.ipynb").read_bytes())
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "LANG": "C.UTF-8"}
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "nbclient",
                              "ipykernel", str(_wheel())], env=env, capture_output=True,
                             text=True, cwd=work)
    assert install.returncode == 0, install.stderr[-3000:]
    ran = work / "ran.ipynb"
    run = subprocess.run([str(python), "-c", RUNNER, str(notebook), str(work), str(ran)],
                         env=env, capture_output=True, text=True, cwd=work, timeout=900)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    executed = json.loads(ran.read_text(encoding="utf-8"))
    shown = "\n".join(text for _, text, _ in _markdown_texts(executed))
    assert "✔ proof" in shown and "<table>" in shown          # derivations, as tables
    closing = [c for c in executed["cells"] if "report(" in "".join(c["source"])]
    assert closing and closing[-1]["outputs"], "the closing report did not run"
    report = "".join(closing[-1]["outputs"][-1]["data"]["text/markdown"])
    visible = re.sub(r"<!--.*?-->", "", report, flags=re.S)   # (the ledger's data is a comment)
    assert "(1.5)" in visible and "eq-" not in visible       # every result, by its number
    assert not (work / "_build").exists() and (tmp_path / ".cache" / "elbo-book").is_dir()
