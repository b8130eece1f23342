"""The plotting set-up every figure shares: a file-only backend and atomic
PNG + PDF writes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no display is needed
import matplotlib.pyplot as plt  # noqa: E402

from ..runtime.atomic import atomic_path  # noqa: E402

__all__ = ["plt", "save_figure", "CAVEAT_COLOUR"]

CAVEAT_COLOUR = "crimson"  # caveats printed in a figure (stand-in data, test-only features)

# Readable at the report's page width: nothing smaller than 9 points.
plt.rcParams.update(
    {
        "font.size": 10,
        "axes.titlesize": 10,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "figure.titlesize": 11,
    }
)


def save_figure(fig, stem) -> None:
    """`stem`.png and `stem`.pdf, each written atomically; closes the figure."""
    for ext in ("png", "pdf"):
        with atomic_path(f"{stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight")
    plt.close(fig)
