"""Write Tables 1 and 2 (CSV, Markdown, LaTeX) from the per-job evaluations."""
import argparse
import json
from pathlib import Path

import pandas as pd

import _bootstrap  # noqa: F401
from couae.provenance import footer
from couae.tables import build_table1, build_table2, summarise, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid-evals", nargs="+", required=True)
    parser.add_argument("--grid-reference", required=True)
    parser.add_argument("--labels", required=True, help="[[experiment, {paper, description}], ...] as JSON")
    parser.add_argument("--widths", nargs="+", type=float, required=True)
    parser.add_argument("--main-width", type=float, required=True)
    parser.add_argument("--celeba-evals", nargs="*", default=[])
    parser.add_argument("--celeba-labels", default="[]", help="as --labels, for the CelebA experiments")
    parser.add_argument("--celeba-widths", nargs="*", type=float, default=[])
    parser.add_argument("--notes", required=True, help="JSON list of lines for the tables' notes")
    parser.add_argument("--provenance", nargs="+", required=True, help="the jobs' provenance records")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    evals = pd.concat([pd.read_csv(p) for p in args.grid_evals], ignore_index=True)
    summary = summarise(evals, "test_log_likelihood")
    labels = dict(json.loads(args.labels))  # config order
    celeba_summary, celeba_labels = None, dict(json.loads(args.celeba_labels)) or None
    if args.celeba_evals:
        celeba_evals = pd.concat([pd.read_csv(p, keep_default_na=False) for p in args.celeba_evals],
                                 ignore_index=True)
        celeba_summary = summarise(celeba_evals, "fid")
    notes = json.loads(args.notes) + [footer([json.loads(open(p).read()) for p in args.provenance])]
    out = Path(args.out_dir)
    write_table(build_table1(summary, pd.read_csv(args.grid_reference), labels, args.main_width,
                             celeba_summary, celeba_labels),
                out / "table1", "Table 1: test log-likelihood (grid) and FID (CelebA)", notes)
    write_table(build_table2(summary, labels, args.widths, celeba_summary, celeba_labels, args.celeba_widths),
                out / "table2",
                "Table 2: hidden width scaled (CouAE as in the paper; other models: extension)", notes)


if __name__ == "__main__":
    main()
