#!/usr/bin/env python3
"""The report's landing text (reStructuredText): the workflow's introduction,
what ran, and how the paper's claims fared on it."""

import argparse
import json
from pathlib import Path

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.claims import verdict_counts
from couae.report.text import summary_rst
from couae.runtime.arguments import FROM_FILE
from couae.runtime.atomic import save_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--intro", required=True, help="the report's static introduction (reStructuredText)")
    parser.add_argument("--summary", required=True, help="JSON list of lines describing the run")
    parser.add_argument("--claims", required=True, help="the claims table (CSV)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    claims = pd.read_csv(args.claims, keep_default_na=False)
    intro = Path(args.intro).read_text()
    save_text(summary_rst(intro, json.loads(args.summary), verdict_counts(claims)), args.out)


if __name__ == "__main__":
    main()
