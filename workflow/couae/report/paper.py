"""The paper's tables (Sansone, Tiomoko Ali, Sun: Coulomb Autoencoders): their
model columns and Table 2's width sweep. Each data set's own values (its
metric, Table 1 and 2 cells, training length, the Table 1 claims) live in its
adapter (`couae.datasets`, its `paper`); `paper_value` looks a cell up there.
Experiments say which column they reproduce (`paper:` in the config).
"""

from __future__ import annotations

from .. import datasets

PAPER_COLUMNS = ("VAE", "WAE", "CouAE")
TABLE2_COLUMN = "CouAE"  # Table 2 sweeps CouAE's hidden width
TABLE2_WIDTHS = (0.25, 0.5, 1.0)


def paper_value(table: int, dataset: str, column: str | None, width: float):
    """(mean, std) the paper reports for this cell, or None if it reports none."""
    if column is None:
        return None
    reported = datasets.get(dataset).paper
    if reported is None:  # a data set of ours
        return None
    if table == 1:
        return reported.table1.get(column) if width == 1.0 else None
    if table == 2:
        return reported.table2.get(float(width)) if column == TABLE2_COLUMN else None
    raise ValueError(f"the paper has no table {table} of results")


def metric(dataset: str):
    """The data set's test metric (`couae.datasets.Metric`)."""
    return datasets.get(dataset).metric


def side_metrics(dataset: str) -> tuple:
    """Further columns the tables show beside the metric (`Dataset.side_metrics`)."""
    return datasets.get(dataset).side_metrics


def iterations(dataset: str) -> int | None:
    """The paper's training length on the data set (None: the paper did not run it)."""
    reported = datasets.get(dataset).paper
    return reported.iterations if reported is not None else None
