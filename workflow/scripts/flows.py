#!/usr/bin/env python3
"""The particle-flow comparison: table (final metrics per setup and row) and
figures (final particles; metric curves) from every flow job's outputs."""

import argparse
import json

import _bootstrap  # noqa: F401  (the library's import path)
from couae.report.style import save_figure
from couae.report.tables import write_flows
from couae.runtime.arguments import FROM_FILE
from couae.runtime.loading import load_arrays
from couae.theory.figures import flows_curves_figure, flows_particles_figure
from couae.theory.flow_table import flows_table, read_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, fromfile_prefix_chars=FROM_FILE)
    parser.add_argument("--records", nargs="+", required=True, help="one CSV per (setup, row)")
    parser.add_argument("--trajectories", nargs="+", required=True, help="one .npz per (setup, row), same order")
    parser.add_argument("--names", required=True, help="JSON list of [setup, row], same order")
    parser.add_argument("--titles", required=True, help="JSON: row -> title")
    parser.add_argument("--notes", required=True, help="JSON list of the table's notes")
    parser.add_argument("--table-stem", required=True)
    parser.add_argument("--figure-stem", required=True, help="the final particles")
    parser.add_argument("--curves-stem", required=True, help="the metric curves")
    args = parser.parse_args()
    names = [tuple(n) for n in json.loads(args.names)]
    records = read_records(dict(zip(names, args.records, strict=True)))
    trajectories = {n: load_arrays(p, "a flow's trajectory") for n, p in zip(names, args.trajectories, strict=True)}
    titles = json.loads(args.titles)
    write_flows(flows_table(records), args.table_stem, json.loads(args.notes))
    save_figure(flows_particles_figure(trajectories, titles), args.figure_stem)
    save_figure(flows_curves_figure(records, titles), args.curves_stem)


if __name__ == "__main__":
    main()
