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
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from .. import caveats
from ..runtime.atomic import save_dataframe_csv, save_text
from . import paper
from .text import TABLE_TITLES, markdown_notes, table1_title

COLUMNS = [
    "dataset",
    "variant",
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


_STYLE = (
    "body{font-family:sans-serif;font-size:14px;margin:1em}table{border-collapse:collapse;margin:0.5em 0}"
    "th,td{border:1px solid #bbb;padding:3px 8px;text-align:right}th{background:#eee}"
    "td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}li{margin:0.2em 0}"
)


def html_page(title: str, sections: list[tuple[str | None, pd.DataFrame]], notes: list[str], floatfmt: str) -> str:
    """The same table as one self-contained HTML page (the report shows it inline)."""
    body = [f"<h1>{escape(title)}</h1>"]
    for heading, frame in sections:
        if heading:
            body.append(f"<h2>{escape(heading)}</h2>")
        body.append(frame.to_html(index=False, na_rep="", float_format=lambda v: format(v, floatfmt), border=0))
    body.append("<ul>" + "".join(f"<li>{escape(note)}</li>" for note in notes) + "</ul>")
    head = f'<head><meta charset="utf-8"><title>{escape(title)}</title><style>{_STYLE}</style></head>'
    return f"<!DOCTYPE html><html>{head}<body>{''.join(body)}</body></html>\n"


def write_readable(out_stem, title, sections: list[tuple[str | None, pd.DataFrame]], notes, floatfmt=".4g") -> None:
    """A table's Markdown and HTML files, from the same (heading, frame) sections."""
    out_stem = Path(out_stem)
    md = [(heading, frame.to_markdown(index=False, floatfmt=floatfmt)) for heading, frame in sections]
    save_text(markdown(title, md, notes), out_stem.with_suffix(".md"))
    save_text(html_page(title, sections, notes, floatfmt), out_stem.with_suffix(".html"))


def summarise(evals: pd.DataFrame, metric: str, side: tuple[str, ...] = ()) -> pd.DataFrame:
    """Mean and sample std (ddof=1) of `metric` over seeds per (experiment,
    width), the mean of each `side` column the rows hold, and every caveat
    any seed's value carries."""
    grouped = evals.groupby(["experiment", "width"], sort=False)
    out = grouped[metric].agg(n_seeds="count", mean="mean", std=lambda v: v.std(ddof=1)).reset_index()
    for column in side:
        out[column] = grouped[column].mean().values if column in evals else np.nan
    out["caveats"] = grouped["caveats"].agg(caveats.join_distinct).values if "caveats" in evals else ""
    return out


@dataclass
class Results:
    """One dataset's results, or one grid variant's, ready for Tables 1-2."""

    dataset: str  # a data set's name (couae.datasets)
    variant: str  # the data set's variant (a grid data set's name); "" for a data set without
    summary: pd.DataFrame | None  # `summarise` of its evaluations; None when nothing ran
    labels: dict  # experiment -> {paper column or None, description}, in config order
    main_widths: dict  # experiment -> the width Table 1 shows (x1 where it runs, else its largest)
    widths: list  # every width some experiment runs at
    reference: pd.DataFrame | None = None  # the variant's reference rows (its ceilings), if it has any
    shortened: bool = False  # trained for fewer iterations than the paper's: its "ours - paper" stays empty
    paper_data: bool = True  # a data set (variant) the paper's values describe; False: no paper cells


def check_rows(evals: pd.DataFrame, dataset: str, seeds) -> None:
    """Every evaluated (variant, experiment, width) holds each configured seed
    once: a duplicate (one job's weights evaluated twice) or a missing seed
    would change means and counts without a word."""
    keys = ["variant", "experiment", "width"]
    doubled = evals[evals.duplicated([*keys, "seed"], keep=False)]
    if len(doubled):
        found = sorted({tuple(row) for row in doubled[[*keys, "seed"]].itertuples(index=False)})
        raise ValueError(f"{dataset} evaluations hold these rows twice: {found[:5]}; a copied result file?")
    for group, rows in evals.groupby(keys, sort=False):
        if sorted(rows["seed"]) != sorted(seeds):
            raise ValueError(
                f"{dataset} evaluations of {group}: seeds {sorted(rows['seed'])}, configured {sorted(seeds)}"
            )


TEXT_COLUMNS = ("variant", "caveats", "assumptions", "kernel_bound_source")


def read_evaluations(paths) -> pd.DataFrame | None:
    """Per-seed evaluation rows of one data set from its CSVs (None: none ran),
    text cells empty where a file left them so and `variant` "" for a data set
    without variants."""
    if not paths:
        return None
    rows = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    for column in TEXT_COLUMNS:
        rows[column] = rows[column].fillna("").astype(str) if column in rows else ""
    return rows


def results_of(
    dataset: str,
    evals,
    labels,
    main_widths: dict,
    widths,
    seeds,
    variants=("",),
    references=None,
    iterations=None,
    paper_variants=None,
) -> list[Results]:
    """`Results` of one dataset from its per-seed evaluations, one per variant
    (`variants`; "" for a data set without), with the variant's reference rows;
    `iterations`, its training length (fewer than the paper's: a shortened run,
    not compared with the paper); `paper_variants`, the variants the paper's
    values describe (None: all). The rows are checked first (`check_rows`)."""
    papers = paper.iterations(dataset)
    shortened = iterations is not None and papers is not None and iterations != papers
    metric = paper.metric(dataset).column
    ran = evals is not None and len(evals) > 0
    if ran:
        evals = evals if "variant" in evals else evals.assign(variant="")
        check_rows(evals, dataset, seeds)
    labels = dict(labels)  # [[name, meta], ...] in config order, or a dict
    sections = []
    for variant in variants:
        rows = evals[evals["variant"] == variant] if ran else None
        side = tuple(m.column for m in paper.side_metrics(dataset))
        summary = summarise(rows, metric, side) if rows is not None and len(rows) else None
        reference = references[references["variant"] == variant] if references is not None else None
        paper_data = paper_variants is None or variant in paper_variants
        sections.append(
            Results(dataset, variant, summary, labels, main_widths, list(widths), reference, shortened, paper_data)
        )
    return sections


def _row(results: Results, row, paper_column, width, stats, paper_cell, status):
    mean = stats["mean"] if stats is not None else np.nan
    pm, ps = paper_cell if paper_cell is not None else (np.nan, None)
    marks = (stats.get("caveats") or "") if stats is not None else ""
    return {
        "dataset": results.dataset,
        "variant": results.variant,
        "metric": paper.metric(results.dataset).column,
        "row": row,
        "paper_column": paper_column,
        "width": width,
        "n_seeds": int(stats["n_seeds"]) if stats is not None else 0,
        "mean": mean,
        "std": stats["std"] if stats is not None else np.nan,
        "paper_mean": pm,
        "paper_std": np.nan if ps is None else ps,
        # a value made under a caveat, or by a shortened run, is not comparable with the paper's
        "difference": np.nan if marks or results.shortened else mean - pm,
        "status": status,
        "caveats": marks,
        **{m.column: stats.get(m.column, np.nan) if stats is not None else np.nan for m in side_metrics(results)},
    }


def side_metrics(results: Results) -> tuple:
    """Its data set's side metrics (`Dataset.side_metrics`): empty cells where its stats hold none."""
    return paper.side_metrics(results.dataset)


def _columns(sections: list[Results]) -> list[str]:
    """COLUMNS, then every side metric of the tables' data sets."""
    side = [m.column for results in sections for m in side_metrics(results)]
    return COLUMNS + list(dict.fromkeys(side))


def _lookup(summary: pd.DataFrame | None, experiment: str, width: float):
    if summary is None:
        return None
    hit = summary[(summary["experiment"] == experiment) & np.isclose(summary["width"], width)]
    return None if hit.empty else hit.iloc[0]


def _paper_cell(table: int, results: Results, column, width):
    """The paper's (mean, std) for this cell of `results`' block; None where the paper has none (or did
    not run the block's data set variant)."""
    return paper.paper_value(table, results.dataset, column, width) if results.paper_data else None


def _rows(table: int, results: Results, labels: dict, widths, shown_at=None):
    """Rows of one dataset or variant: each configured experiment (with its
    paper value if any) at each width, or only where `shown_at` (experiment ->
    width) says; then a 'not run' row for each paper cell no experiment made."""
    rows, covered = [], set()
    for width in widths:
        for name, meta in labels.items():
            if shown_at is not None and shown_at.get(name) != width:
                continue
            column = meta.get("paper")
            stats = _lookup(results.summary, name, width)
            cell = _paper_cell(table, results, column, width)
            if stats is None and cell is None:
                continue
            rows.append(_row(results, name, column, width, stats, cell, "ours" if stats is not None else "not run"))
            if cell is not None:
                covered.add((column, width))
        for column in paper.PAPER_COLUMNS:
            cell = _paper_cell(table, results, column, width)
            if cell is not None and (column, width) not in covered:
                rows.append(_row(results, f"({column})", column, width, None, cell, "not run"))
    return rows


def build_table1(sections: list[Results]) -> pd.DataFrame:
    """Table 1: each experiment at its main width beside the paper's x1 cells;
    a grid variant's reference rows (its ceilings) close its block."""
    rows = []
    for results in sections:
        widths = sorted({1.0, *results.main_widths.values()})  # x1 always: the paper's Table 1 lives there
        rows += _rows(1, results, results.labels, widths, shown_at=results.main_widths)
        if results.reference is not None:
            for _, ref in results.reference.iterrows():
                stats = {"n_seeds": 1, "mean": ref["test_log_likelihood"], "std": np.nan}
                rows.append(_row(results, ref["reference"], None, np.nan, stats, None, "reference"))
    return pd.DataFrame(rows, columns=_columns(sections))


def _table2_order(labels: dict) -> dict:
    return dict(sorted(labels.items(), key=lambda kv: kv[1].get("paper") != paper.TABLE2_COLUMN))


def build_table2(sections: list[Results]) -> pd.DataFrame:
    """Table 2: CouAE across widths as in the paper, then every other
    experiment (our extension); every paper width appears, run or not."""
    rows = []
    for results in sections:
        widths = sorted(set(results.widths) | set(paper.TABLE2_WIDTHS))
        rows += _rows(2, results, _table2_order(results.labels), widths)
    return pd.DataFrame(rows, columns=_columns(sections))


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

    def side(r):  # "modes 24.8, high quality 0.93, mode KL 0.021": means over seeds
        cells = [f"{m.label} {r[m.column]:.3g}" for m in paper.side_metrics(r["dataset"]) if pd.notna(r.get(m.column))]
        return ", ".join(cells)

    shown = {}
    if len(table.columns) > len(COLUMNS):  # some data set has side metrics
        shown["also (mean over seeds)"] = table.apply(side, axis=1)
    return pd.DataFrame(
        {
            "data": table["dataset"] + table["variant"].map(lambda v: f" ({v})" if isinstance(v, str) and v else ""),
            "metric": table["metric"],
            "model": table["row"] + table["paper_column"].map(lambda c: f" [{c}]" if isinstance(c, str) else ""),
            "width": table["width"].map(lambda w: "" if math.isnan(w) else f"x{w:g}"),
            "ours": table.apply(ours, axis=1),
            "paper": table.apply(paper_cell, axis=1),
            "ours - paper": table["difference"].map(_fmt),
            **shown,
        }
    )


def write_table(table: pd.DataFrame, out_stem: str | Path, title: str, notes: list[str]) -> None:
    """Table 1 or 2 as CSV (full precision), Markdown and LaTeX (display layout)."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    shown = display_frame(table)
    write_readable(out_stem, title, [(None, shown)], notes)
    tex_notes = "".join(f"% {n}\n" for n in notes)
    tex = shown.to_latex(index=False, caption=title, escape=True)
    save_text(tex_notes + tex, out_stem.with_suffix(".tex"))


def make_tables(sections: list[Results], notes: list[str], out_dir) -> None:
    """Tables 1 and 2 (CSV, Markdown, LaTeX) from every dataset's and variant's results."""
    out_dir = Path(out_dir)
    names = list(dict.fromkeys(results.dataset for results in sections))
    write_table(build_table1(sections), out_dir / "table1", table1_title(names), notes)
    write_table(build_table2(sections), out_dir / "table2", TABLE_TITLES["table2"], notes)


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
    write_readable(out_stem, TABLE_TITLES["theorem1"], [(None, shown)], notes)


THEOREM2_METRIC_COLUMNS = [
    "experiment", "width", "n_train", "n_seeds", "xi_mean", "xi_std", "xi_max", "recon_train_max_mean",
    "recon_validation_max_mean", "metric_mean", "metric_std", "spearman_xi_vs_metric", "caveats",
]  # fmt: skip
THEOREM2_BOUND_COLUMNS = [
    "experiment", "width", "assumptions", "lambda", "kernel_bound", "xi_objective", "xi_mean_objective", "t",
    "s", "u", "v", "v_corrected", "eps", "eps_corrected", "eps_mean_xi", "dominant", "independent_size",
    "eps_independent", "theorem_gap_mean", "theorem_gap_max", "fresh_se", "bound_holds", "eps_over_gap",
    "generalisation_gap_mean", "generalisation_gap_max",
]  # fmt: skip


def write_theorem2(table: pd.DataFrame, out_stem, notes: list[str], delta: float) -> None:
    """The Theorem 2 table as CSV (every column) and Markdown/HTML: per dataset
    (per variant on the grid) a section of xi against the test metric and one
    of the bound against the measured gap."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    sections = []
    for (dataset, variant), rows in table.groupby(["dataset", "variant"], sort=False):
        heading = f"{dataset} ({variant})" if variant else dataset
        shown = rows[THEOREM2_METRIC_COLUMNS]
        if not shown["caveats"].any():
            shown = shown.drop(columns="caveats")
        sections.append((f"{heading}: xi and {rows['metric'].iloc[0]}", shown))
        bound = rows[THEOREM2_BOUND_COLUMNS].rename(columns={"kernel_bound": "K"})
        sections.append((f"{heading}: the bound at delta = {delta:g} against the measured gap", bound))
    write_readable(out_stem, TABLE_TITLES["theorem2"], sections, notes)


def write_flows(table: pd.DataFrame, out_stem, notes: list[str]) -> None:
    """The particle-flow comparison as CSV and Markdown/HTML, a section per setup."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    sections = []
    for setup, rows in table.groupby("setup", sort=False):
        shown = rows.drop(columns="setup").dropna(axis=1, how="all")
        sections.append((setup, shown))
    write_readable(out_stem, TABLE_TITLES["flows"], sections, notes)


def write_convergence(table: pd.DataFrame, out_stem, notes: list[str]) -> None:
    """The convergence table as CSV and Markdown, a section per grid variant."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)
    sections = [(variant, rows.drop(columns="variant")) for variant, rows in table.groupby("variant", sort=False)]
    write_readable(out_stem, TABLE_TITLES["convergence"], sections, notes)


def write_claims(table: pd.DataFrame, out_stem, notes: list[str]) -> None:
    """The claims table as CSV (every column) and Markdown (the readable ones)."""
    out_stem = Path(out_stem)
    save_dataframe_csv(table, out_stem.with_suffix(".csv"), index=False)

    def number(value, digits=3):
        return "" if pd.isna(value) else f"{value:.{digits}g}"

    shown = pd.DataFrame(
        {
            "source": table["source"],
            "statement": table["statement"],
            "compared": table["compared"],
            "effect A - B [interval]": [
                f"{number(r.effect)} [{number(r.ci_low)}, {number(r.ci_high)}]" for r in table.itertuples()
            ],
            "n": [f"{r.n_a}" + (f" / {r.n_b}" if r.n_b else "") for r in table.itertuples()],
            "paper A - B": table["paper_effect"].map(number),
            "p (Holm)": [
                f"{number(r.p_for, 2)} ({number(r.holm_for, 2)})" if pd.notna(r.p_for) else ""
                for r in table.itertuples()
            ],  # fmt: skip
            "verdict": table["verdict"],
            "reasons": table["reasons"],
        }
    )
    write_readable(out_stem, TABLE_TITLES["claims"], [(None, shown)], notes)
