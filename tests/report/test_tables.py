import numpy as np
import pandas as pd
import pytest

from couae.report.tables import build_table1, build_table2, display_frame, summarise, write_table


def evals(rows):
    return pd.DataFrame(rows, columns=["experiment", "width", "seed", "test_log_likelihood"])


LABELS = {"vae": {"paper": "VAE"}, "mine": {"paper": None}, "couae": {"paper": "CouAE"}}
REFERENCE = pd.DataFrame([{"reference": "true density", "test_log_likelihood": -0.08, "bandwidth": np.nan}])


@pytest.fixture
def summary():
    rows = [
        (e, w, s, v)
        for e, base in (("vae", -4.0), ("mine", -5.0), ("couae", -4.5))
        for w in (0.5, 1.0)
        for s, v in enumerate((base, base - 0.2, base + 0.2))
    ]
    return summarise(evals(rows), "test_log_likelihood")


def test_summary_is_mean_and_sample_std(summary):
    row = summary[(summary.experiment == "couae") & (summary.width == 1.0)].iloc[0]
    assert row["mean"] == pytest.approx(-4.5) and row["std"] == pytest.approx(0.2) and row["n_seeds"] == 3


def test_table1_keeps_config_order_and_paper_cells(summary):
    t1 = build_table1(summary, REFERENCE, LABELS, 1.0)
    grid = t1[t1.dataset == "grid"]
    assert list(grid.row[:3]) == ["vae", "mine", "couae"]
    vae = grid.iloc[0]
    assert vae.paper_mean == -4.4 and vae.difference == pytest.approx(-4.0 + 4.4)
    assert np.isnan(grid.iloc[1].paper_mean)
    # WAE has no experiment here: its paper cell stays, marked not run
    wae = grid[grid.paper_column == "WAE"].iloc[0]
    assert wae.status == "not run" and wae.paper_mean == -6.4 and np.isnan(wae["mean"])
    assert (t1[t1.dataset == "celeba"].status == "not run").all()
    assert grid[grid.status == "reference"].iloc[0]["mean"] == -0.08


def test_table2_puts_couae_first_and_keeps_missing_widths(summary):
    t2 = build_table2(summary, LABELS, [0.5, 1.0])
    grid = t2[t2.dataset == "grid"]
    at_half = grid[grid.width == 0.5]
    assert list(at_half.row) == ["couae", "vae", "mine"] and at_half.iloc[0].paper_mean == -4.8
    missing = grid[(grid.status == "not run") & (grid.width == 0.25)]
    assert len(missing) == 1 and missing.iloc[0].paper_mean == -5.8


def test_written_formats(tmp_path, summary):
    t1 = build_table1(summary, REFERENCE, LABELS, 1.0)
    write_table(t1, tmp_path / "table1", "Table 1", ["a note"])
    md = (tmp_path / "table1.md").read_text()
    assert "-4.00 ± 0.20 (n=3)" in md and "not run" in md and "- a note" in md
    assert "\\begin{table}" in (tmp_path / "table1.tex").read_text()
    back = pd.read_csv(tmp_path / "table1.csv")
    assert len(back) == len(t1)
    assert display_frame(t1).shape[0] == len(t1)
