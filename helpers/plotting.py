"""The book's figure style: one look for every chapter's figures."""

import matplotlib as mpl

# Colours used with one meaning across the book.

#: Colour of the function or exact quantity (the log-evidence, the curve).
CURVE = "#1f4e79"
#: Colour of a lower bound (a chord, the ELBO).
BOUND = "#c55a11"
#: Colour of the gap between the two.
GAP = "#7f7f7f"
#: Colour of an alternative to the bound's choice (a fit by another criterion).
ALTERNATIVE = "#2e7d32"


def use_book_style() -> None:
    """Set matplotlib defaults: readable at 1000 px, light axes, tight bounding box."""
    mpl.rcParams.update({
        "figure.figsize": (7.0, 3.6),
        "figure.dpi": 110,
        "savefig.bbox": "tight",
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.25,
        "legend.frameon": False,
    })
