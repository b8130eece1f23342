import numpy as np
import pandas as pd
import pytest

from couae.report.tables import build_table1, build_table2, display_frame, results_of, summarise, write_table


def evals(rows):
    return pd.DataFrame(rows, columns=["variant", "experiment", "width", "seed", "test_log_likelihood"])


LABELS = [["vae", {"paper": "VAE"}], ["mine", {"paper": None}], ["couae", {"paper": "CouAE"}]]  # config order
MAIN = {"vae": 1.0, "mine": 1.0, "couae": 1.0}
SEEDS = [0, 1, 2]
REFERENCES = pd.DataFrame(
    [
        {"variant": v, "reference": "true density", "test_log_likelihood": ceiling, "bandwidth": np.nan}
        for v, ceiling in (("narrow", -0.08), ("cited", -6.06))
    ]
)


@pytest.fixture
def grid_evals():
    rows = [
        (variant, e, w, s, v + shift)
        for variant, shift in (("narrow", 0.0), ("cited", -3.0))
        for e, base in (("vae", -4.0), ("mine", -5.0), ("couae", -4.5))
        for w in (0.5, 1.0)
        for s, v in enumerate((base, base - 0.2, base + 0.2))
    ]
    return evals(rows)


@pytest.fixture
def sections(grid_evals):
    return results_of("grid", grid_evals, LABELS, MAIN, [0.5, 1.0], SEEDS, ["narrow", "cited"], REFERENCES)


def test_summary_is_mean_and_sample_std(grid_evals):
    summary = summarise(grid_evals[grid_evals.variant == "narrow"], "test_log_likelihood")
    row = summary[(summary.experiment == "couae") & (summary.width == 1.0)].iloc[0]
    assert row["mean"] == pytest.approx(-4.5) and row["std"] == pytest.approx(0.2) and row["n_seeds"] == 3


def test_table1_keeps_config_order_and_paper_cells_per_variant(sections):
    t1 = build_table1(sections + results_of("celeba", None, LABELS, MAIN, [1.0], [0]))
    for variant, shift, ceiling in (("narrow", 0.0, -0.08), ("cited", -3.0, -6.06)):
        grid = t1[(t1.dataset == "grid") & (t1.variant == variant)]
        assert list(grid.row[:3]) == ["vae", "mine", "couae"]
        vae = grid.iloc[0]
        assert vae.paper_mean == -4.4 and vae.difference == pytest.approx(-4.0 + shift + 4.4)
        assert np.isnan(grid.iloc[1].paper_mean)
        # WAE has no experiment here: its paper cell stays, marked not run
        wae = grid[grid.paper_column == "WAE"].iloc[0]
        assert wae.status == "not run" and wae.paper_mean == -6.4 and np.isnan(wae["mean"])
        # each variant closes with its own ceiling
        assert grid.iloc[-1].status == "reference" and grid.iloc[-1]["mean"] == ceiling
    assert list(dict.fromkeys(t1.variant)) == ["narrow", "cited", ""]
    assert (t1[t1.dataset == "celeba"].status == "not run").all()


def test_a_variant_the_paper_did_not_run_shows_no_paper_cells(grid_evals):
    """paper_variants leaves "cited" out: its block has our rows and ceilings, no paper value, no
    "not run" paper cell and no difference; the paper's block is unchanged."""
    args = ("grid", grid_evals, LABELS, MAIN, [0.5, 1.0], SEEDS, ["narrow", "cited"], REFERENCES)
    for build in (build_table1, build_table2):
        table = build(results_of(*args, paper_variants=["narrow"]))
        ours = table[table.variant == "cited"]
        assert ours.paper_mean.isna().all() and ours.difference.isna().all()
        assert set(ours.status) <= {"ours", "reference"} and (ours.status == "ours").any()
        full = build(results_of(*args))
        pd.testing.assert_frame_equal(
            table[table.variant == "narrow"].reset_index(drop=True),
            full[full.variant == "narrow"].reset_index(drop=True),
        )
    assert (display_frame(build_table1(results_of(*args, paper_variants=["narrow"])))["paper"][-4:] == "").all()


def test_a_shortened_run_shows_the_papers_value_but_no_difference(grid_evals):
    """400 of the paper's 3,000,000 steps are not comparable with the paper: "ours - paper" stays empty."""
    args = ("grid", grid_evals, LABELS, MAIN, [0.5, 1.0], SEEDS, ["narrow"], REFERENCES)
    short = build_table1(results_of(*args, iterations=400))
    full = build_table1(results_of(*args, iterations=3_000_000))
    for table in (short, full):
        assert (table[table.row == "vae"].paper_mean == -4.4).all()
    assert short[short.status == "ours"].difference.isna().all()
    assert full[full.status == "ours"].difference.notna().any()


def test_table1_shows_each_experiment_at_its_main_width(grid_evals):
    main = {"vae": 1.0, "mine": 0.5, "couae": 1.0}
    (section,) = results_of("grid", grid_evals, LABELS, main, [0.5, 1.0], SEEDS, ["narrow"], REFERENCES)
    t1 = build_table1([section])
    ours = t1[t1.status == "ours"]
    assert list(zip(ours.row, ours.width, strict=True)) == [("mine", 0.5), ("vae", 1.0), ("couae", 1.0)]


def test_table2_puts_couae_first_and_keeps_missing_widths(sections):
    t2 = build_table2(sections)
    grid = t2[(t2.dataset == "grid") & (t2.variant == "cited")]
    at_half = grid[grid.width == 0.5]
    assert list(at_half.row) == ["couae", "vae", "mine"] and at_half.iloc[0].paper_mean == -4.8
    assert at_half.iloc[0]["mean"] == pytest.approx(-7.5)
    missing = grid[(grid.status == "not run") & (grid.width == 0.25)]
    assert len(missing) == 1 and missing.iloc[0].paper_mean == -5.8


def test_written_formats(tmp_path, sections):
    t1 = build_table1(sections)
    write_table(t1, tmp_path / "table1", "Table 1", ["a note"])
    md = (tmp_path / "table1.md").read_text()
    assert "-4.00 ± 0.20 (n=3)" in md and "not run" in md and "- a note" in md
    assert "| grid (cited) " in md and "| grid (narrow) " in md
    assert "\\begin{table}" in (tmp_path / "table1.tex").read_text()
    back = pd.read_csv(tmp_path / "table1.csv")
    assert len(back) == len(t1) and list(back.columns[:3]) == ["dataset", "variant", "metric"]
    assert display_frame(t1).shape[0] == len(t1)


def test_duplicate_or_missing_seeds_are_refused(grid_evals):
    """A weights file copied into another seed's folder doubles a row; the
    tables stop instead of reporting a wrong n."""
    doubled = pd.concat([grid_evals, grid_evals.iloc[[4]]])
    with pytest.raises(ValueError, match=r"grid evaluations hold these rows twice: \[\('narrow', 'vae', 1\.0, 1\)\]"):
        results_of("grid", doubled, LABELS, MAIN, [0.5, 1.0], SEEDS, ["narrow", "cited"], REFERENCES)
    missing = grid_evals.drop(index=4)
    with pytest.raises(ValueError, match=r"evaluations of \('narrow', 'vae', 1\.0\): seeds \[0, 2\], configured"):
        results_of("grid", missing, LABELS, MAIN, [0.5, 1.0], SEEDS, ["narrow", "cited"], REFERENCES)


def test_the_grids_mode_collapse_numbers_stand_beside_the_metric(grid_evals):
    """Side metrics (Dataset.side_metrics) are means over seeds in the CSV and one cell of the readable
    tables; rows without them (references, a data set that has none) leave them empty."""
    rows = grid_evals.assign(modes_covered=[20, 22, 24] * 12, high_quality=[0.9, 0.8, 0.7] * 12, mode_kl=0.05)
    sections = results_of("grid", rows, LABELS, MAIN, [0.5, 1.0], SEEDS, ["narrow", "cited"], REFERENCES)
    t1 = build_table1(sections + results_of("celeba", None, LABELS, MAIN, [1.0], [0]))
    assert list(t1.columns[-3:]) == ["modes_covered", "high_quality", "mode_kl"]
    ours = t1[t1.status == "ours"]
    assert (ours.modes_covered == 22).all() and np.allclose(ours.high_quality, 0.8) and np.allclose(ours.mode_kl, 0.05)
    assert t1[t1.status != "ours"][["modes_covered", "high_quality", "mode_kl"]].isna().all().all()
    shown = display_frame(t1)
    assert set(shown.loc[ours.index, "also (mean over seeds)"]) == {"modes 22, high quality 0.8, mode KL 0.05"}
    assert (shown.loc[t1.status != "ours", "also (mean over seeds)"] == "").all()
    assert build_table2(sections).modes_covered.notna().any()
