"""The caveats a number can carry, worded once for every table, figure and CSV.

A caveat marks a value made under conditions that are not the paper's. Those
that change what is measured (other images, other features, a biased FID)
make a value incomparable with the paper's: the tables leave its difference
blank. Cells carry them in capitals; CSVs in a `caveats` column, joined by
"; "; figures print them in red above the panels.
"""

from __future__ import annotations

# Per value (CelebA evaluation rows, carried into every table built from them)
STANDIN = "stand-in data, not CelebA"
TEST_ONLY_FEATURES = "test-only features, not FID"
FEW_IMAGES = "fewer images than feature dims"
# Reserved for CelebA files that are not the official aligned set or split.
NON_OFFICIAL_SPLIT = "non-official split"

SEPARATOR = "; "


def celeba_marks(standin: bool, test_only: bool, few_images: bool) -> list[str]:
    """The caveats of one CelebA value, in the vocabulary's order."""
    return [c for c, on in ((STANDIN, standin), (TEST_ONLY_FEATURES, test_only), (FEW_IMAGES, few_images)) if on]


def join(marks) -> str:
    return SEPARATOR.join(marks)


def split(text) -> list[str]:
    """The caveats of a joined cell (empty, NaN or None: none)."""
    return text.split(SEPARATOR) if isinstance(text, str) and text else []


def join_distinct(cells) -> str:
    """The distinct caveats of several joined cells, in order of appearance."""
    found = []
    for cell in cells:
        for mark in split(cell):
            if mark not in found:
                found.append(mark)
    return join(found)


def shown(text: str) -> str:
    """A caveat as a table cell or figure shows it: in capitals."""
    return text.upper()


# Run-wide caveats: notes under the tables, made from the resolved config.

STANDIN_NOTE = "CELEBA ROWS USE STAND-IN IMAGES (generated, not CelebA): not comparable with the paper."
TEST_ONLY_NOTE = "CELEBA 'FID' VALUES USE A TEST-ONLY RANDOM FEATURE EXTRACTOR: they are not FID."


def shortened_run(dataset: str, iterations: int, paper_iterations: int) -> str | None:
    """The note of a run of another length than the paper's, else None."""
    if iterations == paper_iterations:
        return None
    return (
        f"SHORTENED RUN: {iterations} of the paper's {paper_iterations} {dataset} iterations; "
        "these numbers are not comparable with the paper's."
    )
