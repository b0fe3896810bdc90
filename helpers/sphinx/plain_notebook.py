"""A chapter as a plain Jupyter notebook: MyST markup turned into the Markdown Jupyter reads.

The chapters are MyST Markdown; the site renders their directives, roles and
labels, but plain JupyterLab would show them as literal text.  The notebook a
reader downloads is converted cell by cell (:func:`plain_notebook`), prose and
the Markdown that cells display alike:

- ``{eq}`label``` becomes the equation's number, ``(1.6)``; a labelled display
  ``$$ ... $$ (label)`` carries its number as ``\\tag{1.6}``; ``(label)=``
  targets and ``%`` comments are dropped;
- ``{ref}``, ``{numref}`` and ``{prf:ref}`` become the title or the numbered
  name the site shows ("Theorem 1.1", "Fig. 2.3"); ``{cite:p}`` and
  ``{cite:t}`` become author-year citations;
- ``{glue:text}`` becomes the glued value as the site formats it, and the
  ``{glue}`` and ``{glue:figure}`` directives the glued Markdown or image (an
  image as a cell attachment, its caption under it);
- theorems, definitions, exercises and the folded solutions become a bold
  numbered heading and a ``<details>`` block; a ``{list-table}`` an HTML table;
  of an ``{only}`` pair, the website's form is kept and the PDF's dropped;
- a derivation's aligned grid (HTML classes that only the site's stylesheet
  lays out) becomes a three-column table: left side, step, reason;
- links to other pages of the site keep their text only.

Markup with no plain form raises ``ValueError`` naming it, so a chapter that
starts using a new directive fails the build instead of leaking markup.
The references are resolved by a :class:`Targets`, which the Sphinx extension
fills from the build environment (:func:`targets_from_sphinx`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from myst_nb.core.variables import format_plain_text

from helpers.verify.display import chain_table

GLUE_PREFIX = "application/papermill.record/"


@dataclass
class Targets:
    """What a reference resolves to: the text the site shows for each label.

    ``equations``: ``{label: "1.6"}``; ``numbered``: ``{label: "Theorem 1.1"}``
    (figures, theorems, definitions, exercises); ``titles``: ``{label: section
    title}``; ``citations``: ``{key: (authors, year)}``.
    """

    equations: dict = field(default_factory=dict)
    numbered: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)
    citations: dict = field(default_factory=dict)

    def _look_up(self, table: dict, label: str, what: str) -> str:
        if label not in table:
            raise ValueError(f"{what} {label!r} has no target in the book")
        return table[label]


# ---- roles ----------------------------------------------------------------------

ROLE = re.compile(r"\{(?P<name>[a-z]+(?::[a-z]+)?)\}`(?P<content>[^`]*)`")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<label>[^<>]+)>$", re.S)


def _split_explicit(content: str) -> tuple[str | None, str]:
    match = EXPLICIT.match(content)
    return (match["text"], match["label"]) if match else (None, content)


def _citation(keys: str, targets: Targets, textual: bool) -> str:
    found = [targets._look_up(targets.citations, key.strip(), "citation")
             for key in keys.split(",")]
    if textual:
        return " and ".join(f"{authors} ({year})" for authors, year in found)
    return "(" + "; ".join(f"{authors} {year}" for authors, year in found) + ")"


def _role(match: re.Match, targets: Targets, glued: dict) -> str:
    name, content = match["name"], match["content"]
    if name == "eq":
        return f"({targets._look_up(targets.equations, content, 'equation')})"
    if name in ("numref", "prf:ref"):
        text, label = _split_explicit(content)
        numbered = targets._look_up(targets.numbered, label, "reference")
        if text is None:
            return numbered
        number = numbered.rsplit(" ", 1)[-1]
        return text.replace("%s", number).replace("{number}", number)
    if name == "ref":
        text, label = _split_explicit(content)
        return text if text is not None else targets._look_up(targets.titles, label, "reference")
    if name in ("cite:p", "cite:t"):
        return _citation(content, targets, textual=name == "cite:t")
    if name == "glue:text":
        key, _, spec = content.partition(":")
        data = _glued(glued, key)
        if "text/plain" not in data:
            raise ValueError(f"glued value {key!r} has no text/plain form")
        return format_plain_text(data["text/plain"], spec)
    if name in ("mod", "func", "class", "meth"):
        return f"`{content.lstrip('~')}`"
    raise ValueError(f"the role {{{name}}} has no plain-Markdown form")


def _glued(glued: dict, key: str) -> dict:
    if key not in glued:
        raise ValueError(f"glued value {key!r} is not glued in this chapter")
    return glued[key]


# ---- inline text: roles, links, labelled displays, targets ---------------------------

SITE_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?!https?:|mailto:|#|attachment:)[^)\s]*"
                       r"(?:\s+\"[^\"]*\")?\)")
LABELLED_DISPLAY = re.compile(r"^\$\$[ \t]*\((?P<label>[^)]+)\)[ \t]*$", re.M)
TARGET = re.compile(r"^\([\w-]+\)=\s*\n", re.M)
COMMENT = re.compile(r"^%.*\n?", re.M)


def _inline(text: str, targets: Targets, glued: dict) -> str:
    """Roles, site links, labelled displays, targets and comments of Markdown ``text``."""
    text = TARGET.sub("", text)
    text = COMMENT.sub("", text)
    text = LABELLED_DISPLAY.sub(
        lambda m: f"\\tag{{{targets._look_up(targets.equations, m['label'], 'equation')}}}\n$$",
        text)
    text = ROLE.sub(lambda m: _role(m, targets, glued), text)
    return SITE_LINK.sub(lambda m: m["text"], text)


# ---- the derivation grid ----------------------------------------------------------

STEP = re.compile(r'<div class="elbo-step">\s*<div class="elbo-lhs">(?P<lhs>.*?)</div>\s*'
                  r'<div class="elbo-rhs">(?P<rhs>.*?)</div>\s*'
                  r'<div class="elbo-why">(?P<why>.*?)</div>\s*</div>', re.S)
CHAIN = re.compile(r'<div class="elbo-chain">\s*(?P<steps>(?:<div class="elbo-step">.*?'
                   r'</div>\s*</div>\s*)+)</div>', re.S)


def _chain_table(match: re.Match) -> str:
    rows = []
    for step in STEP.finditer(match["steps"]):
        cells = [" ".join(step[part].split()) for part in ("lhs", "rhs", "why")]
        rows.append((*cells[:2], cells[2].replace(' <span class="elbo-tick">✓</span>', " ✓")))
    return chain_table(rows).rstrip("\n")


def plain_derivations(text: str) -> str:
    """Every derivation grid of ``text`` as an HTML table (a row per step)."""
    return CHAIN.sub(_chain_table, text)


# ---- directives -------------------------------------------------------------------

FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<argument>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
PROOF_KINDS = ("theorem", "definition", "lemma", "proposition", "corollary", "remark",
               "example", "proof")


@dataclass
class _Directive:
    name: str
    argument: str
    options: dict
    body: str


def _closing(lines: list[str], start: int, fence: str) -> int:
    """The index of the line that closes the fence opened at ``lines[start]``."""
    depth = 0
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        opening = FENCE.match(stripped)
        if opening and opening["fence"] == fence:
            depth += 1
        elif stripped == fence:
            if depth == 0:
                return index
            depth -= 1
    raise ValueError(f"the directive opened by {lines[start]!r} is never closed")


def _directive(lines: list[str], start: int, end: int) -> _Directive:
    opening = FENCE.match(lines[start])
    body = lines[start + 1:end]
    options = {}
    while body and OPTION.match(body[0]):
        option = OPTION.match(body.pop(0))
        options[option["key"]] = option["value"]
    return _Directive(opening["name"], opening["argument"].strip(), options,
                      "\n".join(body).strip("\n"))


def _image(data: dict, name: str, attachments: dict) -> str:
    for mime in ("image/png", "image/jpeg", "image/svg+xml"):
        if mime in data:
            file = f"{name}.{mime.split('/')[1].split('+')[0]}"
            attachments[file] = {mime: data[mime]}
            return f"![{name}](attachment:{file})"
    raise ValueError(f"glued value {name!r} is not an image")


def _glued_block(name: str, glued: dict, targets: Targets, attachments: dict) -> str:
    data = _glued(glued, name)
    if "text/markdown" in data:
        return _convert(_text(data["text/markdown"]), targets, glued, attachments)
    if any(mime.startswith("image/") for mime in data):
        return _image(data, name, attachments)
    if "text/latex" in data:
        return _text(data["text/latex"])
    if "text/plain" in data:
        return _text(data["text/plain"])
    raise ValueError(f"glued value {name!r} has no form a notebook shows")


def _first_sentence(caption: str) -> str:
    """A figure's alt text: its caption's first sentence, math as its TeX source."""
    sentence = re.split(r"(?<=[.!?])\s", " ".join(caption.split()), maxsplit=1)[0]
    return re.sub(r"\$([^$]*)\$", r"\1", sentence).replace("[", "(").replace("]", ")").strip()


def _list_cell(lines: list[str]) -> str:
    text = "\n".join(lines).strip()
    items = re.split(r"^- ", text, flags=re.M)
    if len(items) > 1 and not items[0].strip():
        return "<ul>" + "".join(f"<li>{' '.join(i.split())}</li>" for i in items[1:]) + "</ul>"
    return " ".join(text.split())


def _list_table(directive: _Directive, convert) -> str:
    rows, row, cell = [], None, None
    for line in directive.body.splitlines():
        if line.startswith("* - "):
            row, cell = [[line[4:]]], None
            rows.append(row)
            cell = row[-1]
        elif line.startswith("  - ") and row is not None:
            cell = [line[4:]]
            row.append(cell)
        elif cell is not None:
            cell.append(line[4:] if line.startswith("    ") else line.strip())
    header = int(directive.options.get("header-rows", "0") or 0)
    out = [f"<p><strong>{convert(directive.argument)}</strong></p>", "<table>"]
    for number, row in enumerate(rows):
        tag = "th" if number < header else "td"
        out.append("<tr>" + "".join(f"<{tag}>{convert(_list_cell(c))}</{tag}>" for c in row)
                   + "</tr>")
    return "\n".join(out + ["</table>"])


def _render(directive: _Directive, targets: Targets, glued: dict, attachments: dict) -> str:
    def convert(text):
        return _convert(text, targets, glued, attachments)

    name, label = directive.name, directive.options.get("label", directive.options.get("name"))
    if name == "glue":
        return _glued_block(directive.argument, glued, targets, attachments)
    if name == "glue:figure":
        data = _glued(glued, directive.argument)
        image = _image(data, directive.argument, attachments)
        caption = convert(directive.body)
        image = image.replace(f"![{directive.argument}]", f"![{_first_sentence(caption)}]", 1)
        number = targets.numbered.get(label, "Figure")
        return f"{image}\n\n*{number}.* {caption}"
    if name.startswith("prf:") and name[4:] in PROOF_KINDS:
        heading = targets.numbered.get(label, name[4:].capitalize())
        title = f" ({convert(directive.argument)})" if directive.argument else ""
        return f"**{heading}**{title}.\n\n{convert(directive.body)}"
    if name == "exercise":
        return f"**{targets._look_up(targets.numbered, label, 'exercise')}.**\n\n" \
               f"{convert(directive.body)}"
    if name == "solution":
        of = targets._look_up(targets.numbered, directive.argument, "exercise")
        return (f"<details>\n<summary>Solution to {of}</summary>\n\n{convert(directive.body)}"
                "\n\n</details>")
    if name == "list-table":
        return _list_table(directive, convert)
    if name == "only":                                 # the website's form, not the PDF's
        return convert(directive.body) if directive.argument == "html" else ""
    raise ValueError(f"the directive {{{name}}} has no plain-Markdown form")


def _convert(text: str, targets: Targets, glued: dict, attachments: dict) -> str:
    lines, out, plain, index = text.splitlines(), [], [], 0
    fenced_code = None
    while index < len(lines):
        line = lines[index]
        if fenced_code is None and (opening := FENCE.match(line)):
            out.append(_inline("\n".join(plain) + "\n", targets, glued).rstrip("\n"))
            plain = []
            end = _closing(lines, index, opening["fence"])
            # A blank line on each side: the block is a paragraph of its own.
            out.append("\n" + _render(_directive(lines, index, end), targets, glued,
                                      attachments) + "\n")
            index = end + 1
            continue
        # Plain code fences (```python) pass through untouched.
        fence = re.match(r"^(`{3,}|~{3,})", line)
        if fence and fenced_code is None:
            out.append(_inline("\n".join(plain) + "\n", targets, glued).rstrip("\n"))
            plain, fenced_code = [], fence[1]
            out.append(line)
        elif fenced_code is not None:
            out.append(line)
            if line.strip() == fenced_code:
                fenced_code = None
        else:
            plain.append(line)
        index += 1
    out.append(_inline("\n".join(plain) + "\n", targets, glued).rstrip("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out))
    return plain_derivations(text).strip("\n")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def plain_markdown(text: str, targets: Targets, glued: dict | None = None,
                   attachments: dict | None = None) -> str:
    """MyST Markdown ``text`` as plain Markdown (see the module docstring).

    ``glued`` maps each glued name to its MIME bundle; images the text shows
    are added to ``attachments`` (``{file: {mime: base64}}``).
    """
    return _convert(text, targets, glued or {}, {} if attachments is None else attachments)


# ---- the notebook ---------------------------------------------------------------------

def glued_values(notebook: dict) -> dict:
    """``{name: MIME bundle}`` of every value a notebook glues (MyST-NB's ``scrapbook`` outputs)."""
    found = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                prefix = scrapbook.get("mime_prefix", GLUE_PREFIX)
                found[scrapbook["name"]] = {
                    mime[len(prefix):]: value for mime, value in output.get("data", {}).items()
                    if mime.startswith(prefix)}
    return found


def plain_notebook(notebook: dict, targets: Targets, first_cells: list[dict]) -> dict:
    """The chapter ``notebook`` (nbformat 4, as a dict) with plain Markdown everywhere.

    Markdown cells and the Markdown that code cells display are converted; the
    glue outputs (which Jupyter cannot show) are dropped; ``first_cells`` are put
    before the chapter's first cell.
    """
    glued = glued_values(notebook)
    result = copy.deepcopy(notebook)
    result["metadata"].pop("jupytext", None)
    for cell in result["cells"]:
        if cell["cell_type"] == "markdown":
            attachments = {}
            cell["source"] = plain_markdown(_text(cell["source"]), targets, glued, attachments)
            if attachments:
                cell["attachments"] = attachments
        elif cell["cell_type"] == "code":
            outputs = []
            for output in cell.get("outputs", []):
                if output.get("metadata", {}).get("scrapbook"):
                    continue
                if "text/markdown" in output.get("data", {}):
                    output["data"]["text/markdown"] = plain_markdown(
                        _text(output["data"]["text/markdown"]), targets, glued)
                outputs.append(output)
            cell["outputs"] = outputs
    result["cells"] = copy.deepcopy(first_cells) + result["cells"]
    return result


def _authors(entry) -> str:
    last = [" ".join(person.last_names).replace("{", "").replace("}", "")
            for person in entry.persons.get("author", entry.persons.get("editor", []))]
    if len(last) > 2:
        return f"{last[0]} et al."
    return " and ".join(last) or entry.fields.get("title", "?")


def targets_from_sphinx(env, bibfiles) -> Targets:
    """The :class:`Targets` of a finished Sphinx read (``env``) and the book's BibTeX files."""
    from pybtex.database import parse_file

    targets = Targets()
    formats = {kind: text[0].upper() + text[1:]
               for kind, text in env.config.numfig_format.items()}
    for docname, kinds in env.toc_fignumbers.items():
        for kind, numbers in kinds.items():
            for node_id, number in numbers.items():
                shown = ".".join(map(str, number))
                if kind == "displaymath":
                    targets.equations[node_id.removeprefix("equation-")] = shown
                else:
                    targets.numbered[node_id] = formats.get(kind, kind.capitalize() + " %s") % shown
    for label, (_, _, title) in env.domaindata["std"]["labels"].items():
        if title:
            targets.titles[label] = " ".join(title.split())
    for bibfile in bibfiles:
        for key, entry in parse_file(bibfile).entries.items():
            targets.citations[key] = (_authors(entry), entry.fields.get("year", "n.d."))
    return targets


def targets_for(app) -> Targets:
    """This Sphinx build's :class:`Targets`, resolved once (the notebooks and the wheel share them)."""
    if getattr(app.builder, "plain_targets", None) is None:
        app.builder.plain_targets = targets_from_sphinx(
            app.env, [Path(app.srcdir) / f for f in app.config.bibtex_bibfiles])
    return app.builder.plain_targets


def helpers_cell(wheel: str, chapter_title: str) -> list[dict]:
    """The first cells of a downloaded chapter: what it needs, and a check that says how to get it."""
    note = (f"# {chapter_title}\n\n"
            "This notebook is a chapter of *The ELBO book*, downloaded from its website. "
            "Its cells call the book's `helpers` package (the checker and the models). "
            f"If it is not installed, download **{wheel}** from the same menu of the website as "
            "this notebook (*Download this page*), put it beside the notebook and run\n\n"
            f"```\n%pip install {wheel}\n```\n\n"
            "in a cell, then restart the kernel. It installs NumPy, SciPy, SymPy, Matplotlib "
            "and the other packages the chapters use.")
    check = ("try:\n"
             "    import helpers\n"
             "except ModuleNotFoundError:\n"
             "    raise ModuleNotFoundError(\n"
             f"        \"This chapter needs the book's helpers package: download {wheel} from \"\n"
             "        \"the book's website (the download menu of any chapter), then run \"\n"
             f"        \"'%pip install {wheel}' in a cell and restart the kernel.\") from None")
    return [
        {"cell_type": "markdown", "metadata": {}, "source": note},
        {"cell_type": "code", "metadata": {}, "source": check, "outputs": [],
         "execution_count": None},
    ]


__all__ = ["Targets", "glued_values", "helpers_cell", "plain_derivations", "plain_markdown",
           "plain_notebook", "targets_for", "targets_from_sphinx"]
