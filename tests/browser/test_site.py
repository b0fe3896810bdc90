"""The built website, checked in a real browser (Debian's Chromium, driven by Playwright).

Run after the build: ``python -m pytest tests/browser`` (the default ``pytest``
run leaves this folder out, because it needs ``_build/html`` and Chromium).
For every page in ``_toc.yml``: MathJax loaded and typeset every formula, with
no TeX error and no undefined macro; no displayed formula wider than the text
column; every image loaded; no failed request and no console error; every
internal link (including ``{eq}`` and ``{ref}`` targets) resolves to an element
on its page.  A full-page screenshot of each page goes to ``_build/screenshots``.

Then every page again as a reader sees it at 390 px (a phone), 768 px (a tablet)
and 1280 px (a laptop), and at 390 px in dark mode: no display formula clipped or
scrolling inside its box, every derivation step's reason inside the text column
and not hidden, no equation label slug (``eq-...``) and no TeX source (``\\KL``) visible
outside code and math, and
every image described in words (its alt text, not its file name).  Those
screenshots are ``_build/screenshots/<width>/`` (``390-dark`` for dark mode).
"""

import functools
import http.server
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from playwright.sync_api import sync_playwright

from conftest import ROOT, toc_files

SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
PAGES = toc_files()

# Runs in the page: broken math (once MathJax has finished), and anything too wide to read.
LAYOUT_PROBLEMS = """
async (hasMath) => {
  const problems = [];
  if (hasMath) {
    await MathJax.startup.promise;
    for (const item of MathJax.startup.document.math) {
      const mml = MathJax.startup.toMML(item.root);
      if (mml.includes('<merror')) problems.push('TeX error in: ' + item.math);
      if (mml.includes('mathcolor="red"')) problems.push('undefined macro in: ' + item.math);
    }
    for (const el of document.querySelectorAll('.math')) {
      if (!el.querySelector('mjx-container')) {
        problems.push('not typeset: ' + el.textContent.slice(0, 80));
      }
    }
  }
  const main = document.querySelector('main') || document.body;
  const column = main.querySelector('article') || main;
  const limit = column.getBoundingClientRect().right + 1;
  const wide = (el, what) => {
    const right = (what === 'formula' ? el.firstElementChild : el).getBoundingClientRect().right;
    if (right > limit) {
      problems.push(`${what} wider than the text column by ${Math.round(right - limit)} px: `
                    + el.textContent.slice(0, 60));
    }
  };
  document.querySelectorAll('mjx-container[display="true"]').forEach(el => wide(el, 'formula'));
  column.querySelectorAll('table, img, pre').forEach(el => wide(el, el.tagName.toLowerCase()));
  for (const el of column.querySelectorAll('pre')) {   // code that needs a scroll bar
    if (el.scrollWidth > el.clientWidth + 1) {
      const lines = el.textContent.split(String.fromCharCode(10));
      const line = lines.reduce((a, b) => (b.length > a.length ? b : a));
      problems.push(`code line cut off at the right edge: ${line.trim().slice(0, 70)}`);
    }
  }
  return problems;
}
"""

BROKEN_IMAGES = """
() => Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.getAttribute('src'))
"""

# A figure glued while matplotlib had no inline backend shows as its repr, not an image.
FIGURES_AS_TEXT = """
() => Array.from(document.querySelectorAll('pre, .output'))
  .map(e => e.textContent).filter(t => /<Figure size \\d+x\\d+ with/.test(t))
"""

INTERNAL_LINKS = """
() => Array.from(document.querySelectorAll('a[href]'))
  .map(a => a.href)
  .filter(href => href.startsWith(location.origin))
"""


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def ids_in(path: Path) -> frozenset:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


@pytest.fixture(scope="session")
def server():
    assert (SITE / "index.html").is_file(), "build the site first: jupyter-book build ."
    (SHOTS / "code-per-prose.txt").unlink(missing_ok=True)     # written afresh each run
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: apt-get install chromium"
    with sync_playwright() as playwright:
        profile = tmp_path_factory.mktemp("chromium-profile")
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1000, "height": 800})
        yield context
        context.close()


@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders(page_name, server, browser):
    page = browser.new_page()
    failures, console_errors = [], []
    page.on("requestfailed", lambda request: failures.append(request.url))
    page.on("response", lambda response: failures.append(response.url)
            if response.status >= 400 else None)
    page.on("console", lambda message: console_errors.append(message.text)
            if message.type == "error" else None)
    page.goto(f"{server}/{page_name}.html", wait_until="networkidle")

    has_math = page.evaluate("() => document.querySelector('.math') !== null")
    math_loaded = page.evaluate("() => typeof MathJax !== 'undefined'")
    assert math_loaded or not has_math, "the page has math but MathJax did not load"
    problems = page.evaluate(LAYOUT_PROBLEMS, has_math)
    broken_images = page.evaluate(BROKEN_IMAGES)
    figures_as_text = page.evaluate(FIGURES_AS_TEXT)
    links = page.evaluate(INTERNAL_LINKS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{Path(page_name).name}.png"), full_page=True)
    page.close()

    unresolved = []
    for link in links:
        url, fragment = urldefrag(link)
        target = SITE / unquote(urlparse(url).path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            unresolved.append(link)
        elif fragment and target.suffix == ".html" and unquote(fragment) not in ids_in(target):
            unresolved.append(link)

    assert not problems, "\n".join(problems)
    assert not broken_images, f"images that did not load: {broken_images}"
    assert not figures_as_text, f"figures shown as text, not images: {figures_as_text}"
    assert not failures, f"failed requests: {failures}"
    assert not console_errors, f"console errors: {console_errors}"
    assert not unresolved, f"internal links with no target: {sorted(set(unresolved))}"


# Runs in the page once MathJax is done: what a reader at this width cannot read.
READER_PROBLEMS = """
async () => {
  if (typeof MathJax !== 'undefined') await MathJax.startup.promise;
  const problems = [];
  const column = (document.querySelector('main article') || document.body).getBoundingClientRect();
  document.querySelectorAll('mjx-container[display="true"]').forEach(el => {
    const inner = el.firstElementChild.getBoundingClientRect();
    const over = Math.max(el.scrollWidth - el.clientWidth, inner.right - column.right);
    if (over > 1) problems.push(`formula clipped by ${Math.round(over)} px: ` + el.textContent.slice(0, 60));
  });
  document.querySelectorAll('.elbo-reason').forEach(el => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width < 1 || box.height < 1 || style.visibility === 'hidden'
        || box.right > column.right + 2 || box.left < column.left - 2) {
      problems.push('step reason hidden or outside the column: ' + el.textContent.slice(0, 60));
    }
  });
  for (const img of document.querySelectorAll('main article img')) {
    const alt = img.getAttribute('alt') || '';
    if (!alt.trim() || /[.](png|svg|jpe?g)$/i.test(alt)) {
      problems.push(`image without a description (alt "${alt.slice(0, 60)}")`);
    }
  }
  const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                           NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, code, script, style, mjx-container, mjx-assistive-mml')) {
      continue;
    }
    for (const slug of node.textContent.match(/\\beq-[a-z0-9-]+/g) || []) {
      problems.push(`label slug visible: ${slug} in "${node.textContent.trim().slice(0, 60)}"`);
    }
    for (const tex of node.textContent.match(/\\\\[A-Za-z]{2,}/g) || []) {   // TeX source as text
      problems.push(`TeX source visible: ${tex} in "${node.textContent.trim().slice(0, 60)}"`);
    }
  }
  return problems;
}
"""

# Runs in the page: characters of code and of prose a reader sees (folded code is not seen).
CODE_AND_PROSE = """
() => {
  const article = document.querySelector('main article') || document.body;
  const seen = el => el.getClientRects().length > 0 && !el.closest('details:not([open])');
  const length = selector => Array.from(article.querySelectorAll(selector)).filter(seen)
    .reduce((total, el) => total + el.textContent.trim().length, 0);
  return [length('div.cell_input pre'), length('p, li, dd, caption, figcaption')];
}
"""
#: Visible code may be at most this fraction of the visible prose.
CODE_PER_PROSE = 1 / 3

MODE = "localStorage.setItem('mode', '%s'); localStorage.setItem('theme', '%s');"


@pytest.mark.parametrize("width, mode", [(390, "light"), (768, "light"), (1280, "light"),
                                         (390, "dark")], ids=["390", "768", "1280", "390-dark"])
@pytest.mark.parametrize("page_name", PAGES)
def test_page_reads_at_width(page_name, width, mode, server, browser):
    page = browser.new_page()
    page.add_init_script(MODE % (mode, mode))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server}/{page_name}.html", wait_until="networkidle")
    problems = page.evaluate(READER_PROBLEMS)
    shown = page.evaluate("() => document.documentElement.dataset.theme")
    code, prose = page.evaluate(CODE_AND_PROSE)
    if width == 1280 and mode == "light":
        SHOTS.mkdir(parents=True, exist_ok=True)
        with (SHOTS / "code-per-prose.txt").open("a") as out:     # the measurement, kept
            out.write(f"{page_name}\t{code}\t{prose}\t{code / max(prose, 1):.3f}\n")
        if code > CODE_PER_PROSE * prose:
            problems.append(f"visible code is {code / max(prose, 1):.2f} of the visible prose "
                            f"({code} against {prose} characters; at most {CODE_PER_PROSE:.2f})")
    folder = SHOTS / (f"{width}" if mode == "light" else f"{width}-{mode}")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{Path(page_name).name}.png"), full_page=True)
    page.close()
    assert shown == mode, f"the page showed the {shown} theme, not {mode}"
    assert not problems, f"at {width} px ({mode}):\n" + "\n".join(problems)


# Runs in the page: which visible button opens what, below and above 992 px.
VISIBLE_TOGGLES = """
(kind) => Array.from(document.querySelectorAll(`.${kind}-toggle`))
  .map((button, i) => [i, button.getBoundingClientRect()])
  .filter(([i, box]) => box.width > 0 && box.height > 0).map(([i]) => i)
"""


@pytest.mark.parametrize("width", [360, 390, 768])
@pytest.mark.parametrize("kind, dialog", [("primary", "#pst-primary-sidebar-modal"),
                                          ("secondary", "#pst-secondary-sidebar-modal")])
def test_drawer_opens_on_narrow_screens(width, kind, dialog, server, browser):
    # The page's visible navigation (or contents) button must open its drawer.
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{server}/book/em.html", wait_until="networkidle")
    visible = page.evaluate(VISIBLE_TOGGLES, kind)
    assert visible, f"no visible {kind} toggle at {width} px"
    page.locator(f".{kind}-toggle").nth(visible[0]).click()
    opened = page.evaluate(f"() => document.querySelector('{dialog}').open")
    links = page.evaluate(f"() => document.querySelector('{dialog}')"
                          ".querySelectorAll('a').length")
    page.close()
    assert opened, f"the {kind} drawer did not open at {width} px"
    assert links > 3, f"the {kind} drawer opened with {links} links"


def test_sidebar_folds_on_a_laptop(server, browser):
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server}/book/em.html", wait_until="networkidle")
    sidebar = "document.querySelector('#pst-primary-sidebar')"
    before = page.evaluate(f"() => {sidebar}.getBoundingClientRect().width")
    visible = page.evaluate(VISIBLE_TOGGLES, "primary")
    page.locator(".primary-toggle").nth(visible[0]).click()
    hidden = page.evaluate(f"() => {sidebar}.classList.contains('pst-sidebar-hidden')")
    page.close()
    assert before > 100 and hidden, "the sidebar button does not fold the sidebar at 1280 px"


def test_every_bibliography_entry_links_back_to_the_chapters_that_cite_it():
    page = (SITE / "book" / "bibliography.html").read_text(encoding="utf-8")
    entries = re.findall(r'<div class="citation" id="[^"]+"[^>]*>(.*?)</div>', page, re.S)
    assert len(entries) >= 20, f"only {len(entries)} bibliography entries"
    for entry in entries:
        cited = re.search(r'<em>Cited in: </em>(.*?)\.</p>', entry, re.S)
        assert cited, f"no 'Cited in' line: {re.sub('<[^>]+>', '', entry)[:80]}"
        assert re.search(r'href="[\w-]+\.html"', cited[1]), cited[1][:200]
