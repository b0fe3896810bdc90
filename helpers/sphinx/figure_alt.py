"""Sphinx extension: a figure's image is described by its caption, not by its file name.

The chapters' figures are glued from cells (``{glue:figure}``), so their images
have no ``alt`` text and the HTML writer falls back to the file's path, which a
screen reader then reads out.  Each image inside a captioned figure that has no
alt text of its own gets the caption's first sentence.
"""

import re

from docutils import nodes


def first_sentence(text: str, limit: int = 300) -> str:
    """The caption's first sentence (up to ``limit`` characters), whitespace collapsed."""
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s", text)
    sentence = text[:match.start()] if match else text
    return sentence if len(sentence) <= limit else sentence[:limit - 1].rstrip() + "…"


def _describe_images(app, doctree, docname):
    for figure in doctree.findall(nodes.figure):
        captions = list(figure.findall(nodes.caption))
        if not captions:
            continue
        alt = first_sentence(captions[0].astext())
        for image in figure.findall(nodes.image):
            if not image.get("alt") or image["alt"] == image.get("uri"):
                image["alt"] = alt


def setup(app):
    app.connect("doctree-resolved", _describe_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
