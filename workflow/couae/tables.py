"""Tables 1 and 2: our results beside the paper's, as CSV, Markdown and LaTeX.

Every cell the paper reports appears, whether or not we have run it: a cell we
have not produced is marked "not run", never dropped. A value made under a
caveat (stand-in images, test-only features, too few images) carries it in
every format and is not compared with the paper.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import paper
from .atomic import save_dataframe_csv, save_text

COLUMNS = ["dataset", "metric", "row", "paper_column", "width", "n_seeds", "mean", "std",
           "paper_mean", "paper_std", "difference", "status", "caveats"]


def join_caveats(values) -> str:
    """The distinct "; "-separated caveats of `values`, in order of appearance."""
    found = []
    for v in values:
        for c in (v.split("; ") if isinstance(v, str) and v else []):
            if c not in found:
                found.append(c)
    return "; ".join(found)


def summarise(evals: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean and sample std (ddof=1) of `metric` over seeds per (experiment,
    width), with every caveat any seed's value carries."""
    grouped = evals.groupby(["experiment", "width"], sort=False)
    out = grouped[metric].agg(n_seeds="count", mean="mean", std=lambda v: v.std(ddof=1)).reset_index()
    out["caveats"] = (grouped["caveats"].agg(join_caveats).values if "caveats" in evals else "")
    return out


def _row(dataset, row, paper_column, width, stats, paper_cell, status):
    metric = paper.METRICS[dataset][0]
    mean = stats["mean"] if stats is not None else np.nan
    pm, ps = paper_cell if paper_cell is not None else (np.nan, None)
    caveats = (stats.get("caveats") or "") if stats is not None else ""
    return {
        "dataset": dataset, "metric": metric, "row": row, "paper_column": paper_column,
        "width": width, "n_seeds": int(stats["n_seeds"]) if stats is not None else 0,
        "mean": mean, "std": stats["std"] if stats is not None else np.nan,
        "paper_mean": pm, "paper_std": np.nan if ps is None else ps,
        # a value made under a caveat is not comparable with the paper's
        "difference": np.nan if caveats else mean - pm, "status": status, "caveats": caveats,
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


def build_table1(grid_summary, grid_reference, labels, main_width: float,
                 celeba_summary=None, celeba_labels=None) -> pd.DataFrame:
    # width x1 always appears: the paper's Table 1 cells live there
    rows = _dataset_rows(1, "grid", grid_summary, labels, sorted({main_width, 1.0}), grid_reference)
    rows += _dataset_rows(1, "celeba", celeba_summary, celeba_labels or labels, [1.0])
    return pd.DataFrame(rows, columns=COLUMNS)


def _table2_order(labels: dict) -> dict:
    return dict(sorted(labels.items(), key=lambda kv: kv[1].get("paper") != paper.TABLE2_COLUMN))


def build_table2(grid_summary, labels, widths, celeba_summary=None, celeba_labels=None,
                 celeba_widths=()) -> pd.DataFrame:
    """CouAE across widths as in the paper, then every other experiment (our extension)."""
    # every paper width appears, run or not
    rows = _dataset_rows(2, "grid", grid_summary, _table2_order(labels),
                         sorted(set(widths) | set(paper.TABLE2_WIDTHS)))
    rows += _dataset_rows(2, "celeba", celeba_summary, _table2_order(celeba_labels or labels),
                          sorted(set(celeba_widths) | set(paper.TABLE2_WIDTHS)))
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
        caveats = r.get("caveats")
        return text + (f" [{caveats.upper()}]" if isinstance(caveats, str) and caveats else "")

    def paper_cell(r):
        if math.isnan(r["paper_mean"]):
            return ""
        return _fmt(r["paper_mean"], 1) + ("" if math.isnan(r["paper_std"]) else f" ± {_fmt(r['paper_std'], 1)}")

    return pd.DataFrame({
        "data": table["dataset"],
        "metric": table["metric"],
        "model": table["row"] + table["paper_column"].map(lambda c: f" [{c}]" if isinstance(c, str) else ""),
        "width": table["width"].map(lambda w: "" if math.isnan(w) else f"x{w:g}"),
        "ours": table.apply(ours, axis=1),
        "paper": table.apply(paper_cell, axis=1),
        "ours - paper": table["difference"].map(_fmt),
    })


def write_table(table: pd.DataFrame, out_stem: str | Path, title: str, notes: list[str]) -> None:
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    shown = display_frame(table)
    md = f"# {title}\n\n{shown.to_markdown(index=False)}\n\n" + "".join(f"- {n}\n" for n in notes)
    save_text(md, out_stem.with_suffix(".md"))
    tex_notes = "".join(f"% {n}\n" for n in notes)
    tex = shown.to_latex(index=False, caption=title, escape=True)
    save_text(tex_notes + tex, out_stem.with_suffix(".tex"))
