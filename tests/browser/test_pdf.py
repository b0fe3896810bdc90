"""The whole book as one PDF, as the site offers it.

Run after ``jupyter-book build . --builder pdflatex`` and the HTML build (``.ci/run``
does both, the PDF first, so that the HTML build copies it into the site).
Its text (``pdftotext``) must hold every chapter's title, numbered as on the
site, its numbered equations and the derivations' steps with their reasons;
a few pages are rendered to images (``pdftoppm``) and must not be blank.
"""

import re
import subprocess

from conftest import ROOT, toc_files

SITE = ROOT / "_build" / "html"
PDF = SITE / "elbo-book.pdf"
LOG = ROOT / "_build" / "latex" / "elbo-book.log"


def _text(*options) -> str:
    return subprocess.run(["pdftotext", *options, str(PDF), "-"], check=True,
                          capture_output=True, text=True).stdout


def _title(page: str) -> str:
    source = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", source, re.M)[1].replace("'", "’")


def test_the_site_offers_the_pdf():
    assert PDF.is_file() and PDF.stat().st_size > 1_000_000, "no PDF in the built site"
    page = (SITE / "book" / "jensen.html").read_text(encoding="utf-8")
    assert 'href="../elbo-book.pdf"' in page


def test_every_chapter_is_in_the_pdf_with_the_sites_number():
    text = " ".join(_text().split())
    chapters = [page for page in toc_files() if page != "book/intro"]
    numbered = ["book/jensen", "book/elbo", "book/gap-kl", "book/vae", "book/ddpm", "book/vdm",
                "book/em", "book/vb", "book/ising", "book/scvi", "book/applications"]
    for page in chapters:
        title = " ".join(_title(page).split())
        assert title in text, f"{page}: title {title!r} not in the PDF"
    for number, page in enumerate(numbered, start=1):
        assert f"Chapter {number}. {_title(page)}" in text, f"{page} is not chapter {number}"


def test_equations_and_derivation_steps_are_there_with_their_numbers():
    text = " ".join(_text().split())
    assert "(1.5)" in text and "(11.1)" in text
    steps = re.findall(r"Step 1: .+? ✓", text)
    assert len(steps) > 80, f"only {len(steps)} derivations show their reasons"
    assert "tangent bound (1.4) ✓" in text                   # a reason's reference, numbered


def test_every_character_is_in_the_fonts():
    missing = sorted(set(re.findall(r"Missing character: There is no (.) \(U\+(\w+)\)",
                                    LOG.read_text(encoding="utf-8", errors="replace"))))
    assert not missing, f"characters the PDF's fonts lack: {missing}"


def test_pages_render_and_are_not_blank(tmp_path):
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(PDF)], check=True, capture_output=True, text=True).stdout)[1])
    assert pages > 200
    for number in (1, pages // 10, pages // 2, pages):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", str(number), "-l", str(number),
                        str(PDF), str(tmp_path / f"p{number}")], check=True)
        (image,) = tmp_path.glob(f"p{number}*.pgm")
        pixels = image.read_bytes().split(b"\n", 3)[3]
        dark = sum(1 for value in pixels if value < 128)
        assert dark > 50, f"page {number} is blank"
