"""Sphinx extension: each bibliography entry links back to the chapters that cite it.

sphinxcontrib-bibtex records every ``{cite:p}``/``{cite:t}`` (its ``cite``
domain: which document cites which key) but its ``{bibliography}`` lists the
works alone.  Once the bibliography page is resolved, this extension appends to
each entry a line "Cited in: <chapter>, <chapter>", each a link to that chapter,
in book order, on the website and in the PDF alike.
"""

from __future__ import annotations

from docutils import nodes


def citing_pages(env) -> dict[str, list[str]]:
    """``{citation id: [docname, ...]}``: the pages that cite each entry, in book order."""
    domain = env.get_domain("cite")
    by_key: dict[str, set[str]] = {}
    for reference in domain.citation_refs:
        for target in reference.targets:
            by_key.setdefault(target.key, set()).add(reference.docname)
    order = {docname: i for i, docname in enumerate(_book_order(env))}
    return {citation.citation_id: sorted(by_key.get(citation.key, ()),
                                         key=lambda d: (order.get(d, len(order)), d))
            for citation in domain.citations}


def _book_order(env) -> list[str]:
    """Every document in the order of the table of contents (a depth-first walk)."""
    seen: list[str] = []

    def walk(docname):
        if docname in seen:
            return
        seen.append(docname)
        for child in env.toctree_includes.get(docname, []):
            walk(child)

    walk(env.config.root_doc)
    return seen


def _add_backlinks(app, doctree, docname):
    pages = citing_pages(app.env)
    for citation in doctree.findall(nodes.citation):
        cited_in = next((pages[i] for i in citation["ids"] if i in pages), None)
        if not cited_in:
            continue
        line = nodes.paragraph(classes=["cited-in"])
        line += nodes.emphasis(text="Cited in: ")
        for number, page in enumerate(cited_in):
            if number:
                line += nodes.Text(", ")
            title = app.env.titles[page].astext()
            line += nodes.reference(title, title, internal=True,
                                    refuri=app.builder.get_relative_uri(docname, page))
        line += nodes.Text(".")
        citation += line


def setup(app):
    app.connect("doctree-resolved", _add_backlinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
