"""The values the paper reports (Sansone, Tiomoko Ali, Sun: Coulomb Autoencoders).

The one place these numbers live. Keys: (dataset, metric, paper column, width
factor) -> (mean, std); std is None where the paper gives none. Columns are the
paper's model names; experiments say which column they reproduce (`paper:` in
the config).
"""

from __future__ import annotations

METRICS = {
    "grid": ("test_log_likelihood", "test log-likelihood (higher is better)"),
    "celeba": ("fid", "FID (lower is better)"),
}

# Training lengths (iterations) per dataset.
ITERATIONS = {"grid": 3_000_000, "celeba": 100_000}

# Table 1: width x1 for all three models.
TABLE1 = {
    ("grid", "VAE"): (-4.4, 0.2),
    ("grid", "WAE"): (-6.4, 1.1),
    ("grid", "CouAE"): (-4.3, 0.1),
    ("celeba", "VAE"): (63.0, None),
    ("celeba", "WAE"): (55.0, None),
    ("celeba", "CouAE"): (47.0, None),
}

# Table 2: CouAE with the hidden width scaled.
TABLE2 = {
    ("grid", 0.25): (-5.8, 0.4),
    ("grid", 0.5): (-4.8, 0.4),
    ("grid", 1.0): (-4.3, 0.1),
    ("celeba", 0.25): (53.0, None),
    ("celeba", 0.5): (51.0, None),
    ("celeba", 1.0): (47.0, None),
}
TABLE2_COLUMN = "CouAE"
TABLE2_WIDTHS = (0.25, 0.5, 1.0)
PAPER_COLUMNS = ("VAE", "WAE", "CouAE")


def paper_value(table: int, dataset: str, column: str | None, width: float):
    """(mean, std) the paper reports for this cell, or None if it reports none."""
    if column is None:
        return None
    if table == 1:
        return TABLE1.get((dataset, column)) if width == 1.0 else None
    if table == 2:
        return TABLE2.get((dataset, float(width))) if column == TABLE2_COLUMN else None
    raise ValueError(f"the paper has no table {table} of results")
