#!/usr/bin/env python3
"""The convergence table (every grid variant) and one figure per variant:
test log-likelihood against training steps, with the variant's claim verdicts."""

import argparse
import json
from pathlib import Path

import pandas as pd

import _bootstrap  # noqa: F401  (the library's import path)
from couae.grid.evaluation import convergence_summary
from couae.grid.figures import convergence_figure
from couae.report.claims import verdict_lines
from couae.report.style import save_figure
from couae.report.tables import write_convergence
from couae.runtime.arguments import FROM_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--convergence", nargs="+", required=True, help="per job, its convergence CSV")
    parser.add_argument("--references", nargs="+", required=True, help="per variant, its reference rows")
    parser.add_argument("--claims", required=True, help="the claims table (CSV)")
    parser.add_argument("--titles", required=True, help="variant -> description as JSON")
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-dir", required=True)
    args = parser.parse_args()
    summary = convergence_summary(pd.concat([pd.read_csv(p) for p in args.convergence], ignore_index=True))
    write_convergence(summary, args.table_stem, json.loads(args.notes))
    references = pd.concat([pd.read_csv(p) for p in args.references], ignore_index=True)
    claims = pd.read_csv(args.claims, keep_default_na=False)
    for variant, title in json.loads(args.titles).items():
        fig = convergence_figure(
            summary[summary["variant"] == variant],
            references[references["variant"] == variant],
            f"{variant}: {title}",
            verdict_lines(claims, "grid", variant),
        )
        save_figure(fig, Path(args.figure_dir) / f"convergence_{variant}")


if __name__ == "__main__":
    main()
