"""The caveats a number can carry, worded once for every table, figure and CSV.

A caveat marks a value made under conditions that are not the paper's, or
by a method that measured its own failure (a learned kernel gone blind). Those
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
# CelebA files other than the official aligned set and split (celeba.preprocessing.data_caveats)
NON_OFFICIAL_SPLIT = "non-official split"
SUBSET = "a subset of CelebA"
OTHER_SIZES = "not the aligned 178x218 images"
UNCHECKED_ARCHIVE = "archive not checked against the official md5"
# Per trained seed (a model type's `caveats`, from its step's end-of-training diagnostics)
BLIND_KERNEL = "learned kernel collapsed (blind at the prior's scale)"

SEPARATOR = "; "


def data_marks(meta: dict) -> list[str]:
    """The caveats of the image arrays a meta.json describes: the stand-in, or
    the ways the CelebA files differ from the official aligned set and split."""
    return ([STANDIN] if meta["standin"] else []) + list(meta.get("caveats", []))


def celeba_marks(meta: dict, test_only: bool, few_images: bool) -> list[str]:
    """The caveats of one CelebA value: its data's, then its features'."""
    return data_marks(meta) + [c for c, on in ((TEST_ONLY_FEATURES, test_only), (FEW_IMAGES, few_images)) if on]


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
