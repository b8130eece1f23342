"""The result tables as files: Tables 1 and 2 (our results beside the
paper's, as CSV, Markdown and LaTeX) and the Theorem 1 and 2 tables (CSV and
Markdown).

Every cell the paper reports appears in Tables 1-2, whether or not we have run
it: a cell we have not produced is marked "not run", never dropped. A value
made under a caveat (stand-in images, test-only features, too few images)
carries it in every format and is not compared with the paper.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..runtime.atomic import save_dataframe_csv, save_text
from . import caveats, paper
from .text import TABLE_TITLES, markdown_notes

COLUMNS = [
    "dataset",
    "metric",
    "row",
    "paper_column",
    "width",
    "n_seeds",
    "mean",
    "std",
    "paper_mean",
    "paper_std",
    "difference",
    "status",
    "caveats",
]


def markdown(title: str, sections: list[tuple[str | None, str]], notes: list[str]) -> str:
    """A table's Markdown file: its title, each (heading, table) section, the notes."""
    parts = [f"# {title}"]
    for heading, body in sections:
        parts += ([f"## {heading}"] if heading else []) + [body]
    return "\n\n".join(parts) + "\n\n" + markdown_notes(notes)


def summarise(evals: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean and sample std (ddof=1) of `metric` over seeds per (experiment,
    width), with every caveat any seed's value carries."""
    grouped = evals.groupby(["experiment", "width"], sort=False)
    out = grouped[metric].agg(n_seeds="count", mean="mean", std=lambda v: v.std(ddof=1)).reset_index()
    out["caveats"] = grouped["caveats"].agg(caveats.join_distinct).values if "caveats" in evals else ""
    return out


def _row(dataset, row, paper_column, width, stats, paper_cell, status):
    metric = paper.METRICS[dataset][0]
    mean = stats["mean"] if stats is not None else np.nan
    pm, ps = paper_cell if paper_cell is not None else (np.nan, None)
    marks = (stats.get("caveats") or "") if stats is not None else ""
    return {
        "dataset": dataset,
        "metric": metric,
        "row": row,
        "paper_column": paper_column,
        "width": width,
        "n_seeds": int(stats["n_seeds"]) if stats is not None else 0,
        "mean": mean,
        "std": stats["std"] if stats is not None else np.nan,
        "paper_mean": pm,
        "paper_std": np.nan if ps is None else ps,
        # a value made under a caveat is not comparable with the paper's
        "difference": np.nan if marks else mean - pm,
        "status": status,
        "caveats": marks,
    }


def _lookup(summary: pd.DataFrame | None, experiment: str, width: float):
    if summary is None:
        return None
    hit = summary[(summary["experiment"] == experiment) & np.isclose(summary["width"], width)]
    return None if hit.empty else hit.iloc[0]


def _dataset_rows(table: int, dataset: str, summary, labels: dict, widths, reference=None):
    """Rows for one dataset: each configured experiment (with its paper value if
    any), then a 'not run' row for each paper cell no experiment produced."""
    rows, covered = [], set()
    for width in widths:
        for name, meta in labels.items():
            column = meta.get("paper")
            stats = _lookup(summary, name, width)
            cell = paper.paper_value(table, dataset, column, width)
            if stats is None:
                if cell is None:
                    continue
                rows.append(_row(dataset, name, column, width, None, cell, "not run"))
            else:
                rows.append(_row(dataset, name, column, width, stats, cell, "ours"))
            if cell is not None:
                covered.add((column, width))
        for column in paper.PAPER_COLUMNS:
            cell = paper.paper_value(table, dataset, column, width)
            if cell is not None and (column, width) not in covered:
                rows.append(_row(dataset, f"({column})", column, width, None, cell, "not run"))
    if reference is not None:
        for _, ref in reference.iterrows():
            stats = {"n_seeds": 1, "mean": ref["test_log_likelihood"], "std": np.nan}
            rows.append(_row(dataset, ref["reference"], None, np.nan, stats, None, "reference"))
    return rows


def build_table1(
    grid_summary, grid_reference, labels, main_width: float, celeba_summary=None, celeba_labels=None
) -> pd.DataFrame:
    # width x1 always appears: the paper's Table 1 cells live there
    rows = _dataset_rows(1, "grid", grid_summary, labels, sorted({main_width, 1.0}), grid_reference)
    rows += _dataset_rows(1, "celeba", celeba_summary, celeba_labels or labels, [1.0])
    return pd.DataFrame(rows, columns=COLUMNS)


def _table2_order(labels: dict) -> dict:
    return dict(sorted(labels.items(), key=lambda kv: kv[1].get("paper") != paper.TABLE2_COLUMN))


def build_table2(
    grid_summary, labels, widths, celeba_summary=None, celeba_labels=None, celeba_widths=()
) -> pd.DataFrame:
    """CouAE across widths as in the paper, then every other experiment (our extension)."""
    # every paper width appears, run or not
    rows = _dataset_rows(2, "grid", grid_summary, _table2_order(labels), sorted(set(widths) | set(paper.TABLE2_WIDTHS)))
    rows += _dataset_rows(
        2,
        "celeba",
        celeba_summary,
        _table2_order(celeba_labels or labels),
        sorted(set(celeba_widths) | set(paper.TABLE2_WIDTHS)),
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def _fmt(value, digits=2):
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def display_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The human-readable layout of a table (Markdown and LaTeX)."""

    def ours(r):
        if r["status"] == "not run":
            return "not run"
        if r["status"] == "reference" or math.isnan(r["std"]):
            text = _fmt(r["mean"]) + ("" if r["status"] == "reference" else f" (n={r['n_seeds']})")
        else:
            text = f"{_fmt(r['mean'])} ± {_fmt(r['std'])} (n={r['n_seeds']})"
        marks = r.get("caveats")
        return text + (f" [{caveats.shown(marks)}]" if isinstance(marks, str) and marks else "")

    def paper_cell(r):
        if math.isnan(r["paper_mean"]):
            return ""
        return _fmt(r["paper_mean"], 1) + ("" if math.isnan(r["paper_std"]) else f" ± {_fmt(r['paper_std'], 1)}")

    return pd.DataFrame(
        {
            "data": table["dataset"],
            "metric": table["metric"],
            "model": table["row"] + table["paper_column"].map(lambda c: f" [{c}]" if isinstance(c, str) else ""),
            "width": table["width"].map(lambda w: "" if math.isnan(w) else f"x{w:g}"),
            "ours": table.apply(ours, axis=1),
            "paper": table.apply(paper_cell, axis=1),
            "ours - paper": table["difference"].map(_fmt),
        }
    )


def write_table(table: pd.DataFrame, out_stem: str | Path, title: str, notes: list[str]) -> None:
    """Table 1 or 2 as CSV (full precision), Markdown and LaTeX (display layout)."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    shown = display_frame(table)
    save_text(markdown(title, [(None, shown.to_markdown(index=False))], notes), out_stem.with_suffix(".md"))
    tex_notes = "".join(f"% {n}\n" for n in notes)
    tex = shown.to_latex(index=False, caption=title, escape=True)
    save_text(tex_notes + tex, out_stem.with_suffix(".tex"))


def make_tables(
    grid_evals: pd.DataFrame,
    grid_reference: pd.DataFrame,
    labels: dict,
    widths,
    main_width: float,
    celeba_evals: pd.DataFrame | None,
    celeba_labels: dict | None,
    celeba_widths,
    notes: list[str],
    out_dir,
) -> None:
    """Tables 1 and 2 from the per-seed evaluations of both datasets."""
    grid = summarise(grid_evals, "test_log_likelihood")
    celeba = summarise(celeba_evals, "fid") if celeba_evals is not None else None
    out_dir = Path(out_dir)
    table1 = build_table1(grid, grid_reference, labels, main_width, celeba, celeba_labels)
    write_table(table1, out_dir / "table1", TABLE_TITLES["table1"], notes)
    table2 = build_table2(grid, labels, widths, celeba, celeba_labels, celeba_widths)
    write_table(table2, out_dir / "table2", TABLE_TITLES["table2"], notes)


def write_theorem1(table: pd.DataFrame, out_stem, notes: list[str]) -> None:
    """The per-flow results of Theorem 1 as CSV and Markdown."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    shown = table.assign(
        fraction_global=table.fraction_global.map("{:.2f}".format),
        median_worst_distance=table.median_worst_distance.map("{:.3g}".format),
        median_start_worst_distance=table.median_start_worst_distance.map("{:.3g}".format),
        mean_final_mmd2=table.mean_final_mmd2.map("{:.3g}".format),
    )
    save_text(
        markdown(TABLE_TITLES["theorem1"], [(None, shown.to_markdown(index=False))], notes),
        out_stem.with_suffix(".md"),
    )


def write_theorem2(table: pd.DataFrame, out_stem, notes: list[str]) -> None:
    """The Theorem 2 table as CSV and Markdown: a section per dataset, named
    with its test metric."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    sections = []
    for dataset, rows in table.groupby("dataset", sort=False):
        shown = rows.drop(columns=["dataset", "metric"])
        if not shown["caveats"].any():
            shown = shown.drop(columns="caveats")
        sections.append((f"{dataset}: {rows['metric'].iloc[0]}", shown.to_markdown(index=False, floatfmt=".4g")))
    save_text(markdown(TABLE_TITLES["theorem2"], sections, notes), out_stem.with_suffix(".md"))
