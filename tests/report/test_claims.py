"""The claims table's verdict logic on synthetic per-seed numbers: a clear win,
a clear loss, an overlap, one seed, a shortened run, and Theorem 1's runs."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from couae import config as C
from couae.report import claims
from couae.report.claims import CONTRADICTED, INCONCLUSIVE, REPRODUCED
from helpers import load_config

PAPER_LENGTH = {"grid": 3_000_000, "celeba": 100_000}


@pytest.fixture
def settings():
    return dataclasses.replace(C.claims_settings(load_config()), iterations=PAPER_LENGTH)


def grid_evals(couae, wae, vae, widths=None, seeds=10, spread=0.05, variant="cited"):
    """Per-seed rows: x1 means of couae, wae, vae, and couae at x0.25 / x0.5 (widths)."""
    rng = np.random.default_rng(0)
    means = {("couae", 1.0): couae, ("wae", 1.0): wae, ("vae", 1.0): vae}
    means.update({("couae", w): m for w, m in (widths or {}).items()})
    rows = []
    for (experiment, width), mean in means.items():
        for seed in range(seeds):
            value = mean + spread * rng.standard_normal()
            rows.append(
                {"variant": variant, "experiment": experiment, "width": width, "seed": seed,
                 "test_log_likelihood": value, "xi": -value, "recon_mean": -value / 10}
            )  # fmt: skip
    return pd.DataFrame(rows)


THEOREM1_COLUMNS = ["flow", "kernel", "dim", "noise", "runs", "fraction_global", "median_worst_distance",
                    "median_start_worst_distance", "particles", "missed_at_critical", "missed_at_saddle"]  # fmt: skip


def theorem1(rows):
    """Theorem 1 table rows (flow, dim, fraction, end, start[, missed at a critical point[, of which at
    saddles]]), 10 particles."""
    return pd.DataFrame(
        [(r[0], "coulomb", r[1], 0.0, 30, r[2], r[3], r[4], 10, r[5] if len(r) > 5 else 0, r[6] if len(r) > 6 else 0)
         for r in rows],
        columns=THEOREM1_COLUMNS,
    )  # fmt: skip


NO_FLOWS = theorem1([])


def claim(table, name, variant="cited"):
    return table[(table.claim == name) & (table.variant == variant)].iloc[0]


def test_direction_against_each_kind_of_claim():
    assert claims.direction(">", 0.1, 0.5, 0.0) == claims.SUPPORTS
    assert claims.direction(">", -0.5, -0.1, 0.0) == claims.OPPOSES
    assert claims.direction(">", -0.1, 0.3, 0.0) == claims.UNCLEAR
    assert claims.direction("<", -0.5, -0.1, 0.0) == claims.SUPPORTS  # lower FID
    assert claims.direction(">=", -0.05, 0.2, 0.1) == claims.SUPPORTS  # within the margin
    assert claims.direction(">=", -0.3, -0.2, 0.1) == claims.OPPOSES
    assert claims.direction(">=", -0.2, 0.0, 0.1) == claims.UNCLEAR
    assert claims.direction(">", float("nan"), float("nan"), 0.0) == claims.UNCLEAR


def test_clear_win_clear_loss_and_overlap(settings):
    # CouAE far above WAE; VAE far above CouAE; widths overlapping
    evals = grid_evals(-4.3, -6.4, -3.0, widths={0.25: -4.30, 0.5: -4.30})
    table = claims.claims_table([("grid", evals)], NO_FLOWS, settings)
    win = claim(table, "table1-couae-vs-wae")
    assert win.verdict == REPRODUCED and win.effect == pytest.approx(2.1, abs=0.05) and win.ci_low > 0
    assert win.paper_effect == pytest.approx(2.1) and win.n_a == win.n_b == 10
    loss = claim(table, "table1-couae-vs-vae")
    assert loss.claimed == "A >= B" and loss.verdict == CONTRADICTED and loss.ci_high < -0.1
    overlap = claim(table, "table2-width-x0.5-vs-x0.25")
    assert overlap.verdict == INCONCLUSIVE and overlap.ci_low < 0 < overlap.ci_high
    assert "interval of A - B reaches 0" in overlap.reasons
    # Theorem 2's trend, both readings: larger log-likelihood here means smaller errors
    assert claim(table, "theorem2-xi-x1-vs-x0.5").claimed == "A < B"
    assert {claim(table, "theorem2-recon_mean-x1-vs-x0.5").metric} == {"recon_mean"}


def test_welch_interval_is_scipys_and_bootstrap_is_seeded(settings):
    rng = np.random.default_rng(1)
    a, b = rng.normal(1.0, 0.3, 8), rng.normal(0.0, 0.5, 6)
    low, high = claims.interval(a, b, settings, "x")
    ref = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (low, high) == pytest.approx((ref.low, ref.high))
    boot = dataclasses.replace(settings, interval="bootstrap", bootstrap_resamples=4000)
    first, again = claims.interval(a, b, boot, "x"), claims.interval(a, b, boot, "x")
    assert first == again and first[0] < a.mean() - b.mean() < first[1]
    assert first[0] == pytest.approx(low, abs=0.3) and first[1] == pytest.approx(high, abs=0.3)


def test_one_seed_and_shortened_runs_are_inconclusive(settings):
    one = claims.claims_table([("grid", grid_evals(-4.3, -6.4, -4.4, seeds=1))], NO_FLOWS, settings)
    row = claim(one, "table1-couae-vs-wae")
    assert row.verdict == INCONCLUSIVE and row.reasons == "one seed: no interval" and np.isnan(row.ci_low)
    short = dataclasses.replace(settings, iterations={"grid": 50_000, "celeba": 100_000})
    row = claim(claims.claims_table([("grid", grid_evals(-4.3, -6.4, -4.4))], NO_FLOWS, short), "table1-couae-vs-wae")
    assert row.direction == claims.SUPPORTS and row.verdict == INCONCLUSIVE
    assert row.reasons == "shortened run: 50000 of 3000000 iterations"


def test_celeba_caveats_make_a_verdict_inconclusive(settings):
    celeba = pd.DataFrame(
        [
            {"experiment": e, "width": 1.0, "seed": s, "fid": fid + s, "xi": 1.0, "recon_mean": 1.0,
             "caveats": "stand-in data, not CelebA"}
            for e, fid in (("couae", 40.0), ("wae", 60.0), ("vae", 70.0))
            for s in range(4)
        ]
    )  # fmt: skip
    table = claims.claims_table([("grid", grid_evals(-4.3, -6.4, -4.4)), ("celeba", celeba)], NO_FLOWS, settings)
    row = claim(table, "table1-couae-vs-wae", variant="")
    assert row.claimed == "A < B" and row.direction == claims.SUPPORTS and row.paper_effect == -8
    assert row.verdict == INCONCLUSIVE and row.reasons == "stand-in data, not CelebA"


def test_theorem1_runs(settings):
    flows = theorem1(
        [
            ("coulomb", 2, 1.0, 0.001, 2.0),  # every run reached the minimum
            ("coulombdist", 3, 0.4, 4.9, 4.0, 3),  # missed, three runs at a critical point: against the theorem
            ("coulombdist", 8, 0.4, 4.9, 4.0, 0),  # missed, but every such run still moving: not converged
            (
                "coulomb",
                8,
                0.4,
                0.61,
                4.0,
                18,
            ),  # at critical points, but the additive smoothing's flat core may cause it
            ("coulomb", 16, 0.0, 5.66, 5.66),  # 10 particles in h = 16: Assumption 1 (N > h) fails
            ("gaussian", 2, 0.1, 1.0, 2.0, 5),  # some runs ended at a spurious minimum
            ("imq", 3, 0.8, 1.0, 2.0, 0),  # some runs missed it, still moving: a stall not shown
        ]
    )
    table = claims.claims_table([("grid", grid_evals(-4.3, -6.4, -4.4))], flows, settings)
    theory = table[table.source == "Theorem 1"].set_index("claim")
    assert theory.loc["theorem1-coulomb-h2", "verdict"] == REPRODUCED
    assert theory.loc["theorem1-coulombdist-h3", "verdict"] == CONTRADICTED
    assert theory.loc["theorem1-coulombdist-h8", "verdict"] == INCONCLUSIVE
    assert theory.loc["theorem1-coulombdist-h8", "reasons"].startswith("not converged: the 18 runs")
    smoothed = theory.loc["theorem1-coulomb-h8"]
    assert smoothed.direction == claims.OPPOSES and smoothed.verdict == INCONCLUSIVE
    assert smoothed.reasons.startswith("our smoothing may cause it") and "not positive definite" in smoothed.reasons
    assert theory.loc["theorem1-coulomb-h16", "verdict"] == INCONCLUSIVE
    assert theory.loc["theorem1-coulomb-h16", "reasons"] == "Assumption 1 (N > h) fails: N = 10 particles in h = 16"
    assert theory.loc["theorem1-gaussian-h2", "verdict"] == REPRODUCED
    assert theory.loc["theorem1-imq-h3", "verdict"] == INCONCLUSIVE
    assert "still moving" in theory.loc["theorem1-imq-h3", "reasons"]
    low, high = theory.loc["theorem1-coulombdist-h3", ["ci_low", "ci_high"]]
    assert low < 0.4 < high  # Clopper-Pearson around 12 of 30


def test_paper_config_picks_the_theorem1_flows_and_paper_columns():
    s = C.claims_settings(load_config())
    assert s.theorem1_flows == {"reaches": ["coulomb", "coulombdist"], "can_stall": ["gaussian", "imq", "waerbf"]}
    assert s.paper_columns["grid"] == {"VAE": "vae", "WAE": "wae", "CouAE": "couae"}


def test_figure_titles_carry_the_test_metric_verdicts(settings):
    table = claims.claims_table(
        [("grid", grid_evals(-4.3, -6.4, -4.4, widths={0.25: -5.8, 0.5: -4.8}))], NO_FLOWS, settings
    )
    lines = claims.verdict_lines(table, "grid", "cited")
    assert len(lines) == 4  # Table 1's two claims, Table 2's two; Theorem 2's errors are not this metric
    assert lines[0] == "CouAE's test log-likelihood is better than WAE's (grid (cited), x1): REPRODUCED"
    assert claims.verdict_lines(table, "grid", "narrow") == []


def test_an_extension_row_gets_the_measured_difference_and_no_verdict(settings):
    evals = grid_evals(-4.3, -6.4, -4.4)
    rng = np.random.default_rng(1)
    extra = [
        {"variant": "cited", "experiment": "learnedae", "width": 1.0, "seed": seed, "xi": 1.0, "recon_mean": 0.1,
         "test_log_likelihood": -5.3 + 0.05 * rng.standard_normal()}
        for seed in range(10)
    ]  # fmt: skip
    table = claims.claims_table([("grid", pd.concat([evals, pd.DataFrame(extra)]))], NO_FLOWS, settings)
    row = claim(table, "extension-couae-vs-learnedae")
    assert row.source == claims.EXTENSION and row.verdict == claims.NO_CLAIM
    assert row.direction == claims.SUPPORTS and row.effect == pytest.approx(1.0, abs=0.05)  # CouAE 1 nat higher
    assert np.isnan(row.paper_a) and row.reasons.startswith("extension row: the paper has no value")
    assert claims.verdict_counts(table) == claims.verdict_counts(table[table.source != claims.EXTENSION])
    assert len(claims.verdict_lines(table, "grid", "cited")) == 2  # figure titles: the paper's claims only


def test_a_variant_the_paper_did_not_run_tests_no_claim_of_the_paper(settings):
    """The config's own benchmark (paper: false, the ring) is compared as the paper's grids are, with
    no paper value and no verdict, and stays out of Holm's family; Theorem 2's claims hold on any data."""
    config = load_config()
    ours = [v for v, entry in config["grid"]["variants"].items() if entry.get("paper") is False]
    assert C.claims_settings(config).extension_variants["grid"] == ours
    widths = {0.25: -5.8, 0.5: -4.8}
    both = pd.concat([grid_evals(-4.3, -6.4, -4.4, widths), grid_evals(-4.3, -6.4, -4.4, widths, variant=ours[0])])
    table = claims.claims_table([("grid", both)], NO_FLOWS, settings)
    paper_row, ring_row = claim(table, "table1-couae-vs-wae"), claim(table, "table1-couae-vs-wae", ours[0])
    assert paper_row.source == "Table 1" and paper_row.verdict == REPRODUCED and paper_row.paper_a == -4.3
    assert ring_row.source == claims.EXTENSION and ring_row.verdict == claims.NO_CLAIM
    assert np.isnan(ring_row.paper_a) and ring_row.reasons.startswith("extension data set: the paper did not run")
    assert ring_row.effect == pytest.approx(paper_row.effect, abs=0.1)  # measured all the same
    assert claim(table, "table2-width-x1-vs-x0.5", ours[0]).source == claims.EXTENSION
    assert claim(table, "theorem2-xi-x1-vs-x0.5", ours[0]).source == "Theorem 2"
    alone = claims.claims_table([("grid", both[both.variant == "cited"])], NO_FLOWS, settings)
    assert claim(alone, "table1-couae-vs-wae").holm_for == pytest.approx(paper_row.holm_for)  # not in the family


def test_holms_correction_against_a_hand_worked_table(settings):
    """p = 0.01, 0.04, 0.03, 0.005: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 gives 0.02, 0.03, 0.06,
    0.04, made monotone: 0.02, 0.03, 0.06, 0.06; in the table's order 0.03, 0.06, 0.06, 0.02. At a 95% level
    the first and the last claim stand; the other two cleared 0 on their own intervals but not after the
    correction, and say so. An extension row is outside the family."""
    np.testing.assert_allclose(claims.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(claims.holm([0.01, np.nan])[1]) and claims.holm([0.01, np.nan])[0] == pytest.approx(0.01)
    rows = [dict.fromkeys(claims.COLUMNS, np.nan) | {"claim": f"c{k}", "source": "Table 1", "p_for": p,
            "p_against": 1 - p, "direction": claims.SUPPORTS, "verdict": REPRODUCED, "reasons": ""}
            for k, p in enumerate([0.01, 0.04, 0.03, 0.005])]  # fmt: skip
    rows.append(rows[0] | {"claim": "ext", "source": claims.EXTENSION, "verdict": claims.NO_CLAIM})
    table = claims.correct(pd.DataFrame(rows, columns=claims.COLUMNS), settings)
    assert list(table.verdict[:4]) == [REPRODUCED, INCONCLUSIVE, INCONCLUSIVE, REPRODUCED]
    assert table.reasons[1] == "not significant after Holm's correction over 4 claims (adjusted p 0.06)"
    assert table.verdict[4] == claims.NO_CLAIM and np.isnan(table.holm_for[4])


def test_one_sided_p_values_are_welchs_and_the_bootstraps_tail(settings):
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.2, 0.3, 10), rng.normal(0.0, 0.3, 10)
    p_for, p_against = claims.p_values(a, b, ">=", 0.1, settings, "x")  # H0: A - B <= -0.1
    assert p_for == pytest.approx(stats.ttest_ind(a + 0.1, b, equal_var=False, alternative="greater").pvalue)
    assert p_for + p_against == pytest.approx(1.0)
    lower = claims.p_values(a, b, "<", 0.0, settings, "x")  # a claim that A is lower: the sides swap
    assert lower == pytest.approx(claims.p_values(a, b, ">", 0.0, settings, "x")[::-1])
    boot = dataclasses.replace(settings, interval="bootstrap", bootstrap_resamples=4000)
    b_for, _ = claims.p_values(a, b, ">", 0.0, boot, "x")
    assert b_for == pytest.approx(stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue, abs=0.03)


def test_a_saddle_is_not_a_spurious_minimum(settings):
    """Theorem 1 says every local minimum is global; a saddle it allows. A miss at a critical point whose
    run escaped when perturbed (a saddle) neither opposes the theorem nor shows a single-scale kernel's
    stall; one that held does."""
    table = claims.claims_table([], theorem1([("coulomb", 2, 0.9, 0.5, 2.0, 3, 3), ("coulomb", 3, 0.9, 0.5, 2.0, 3, 1),
                                              ("gaussian", 2, 0.0, 0.5, 2.0, 30, 30), ("gaussian", 3, 0.0, 0.5, 2.0,
                                              30, 29)]), settings)  # fmt: skip
    assert claim(table, "theorem1-coulomb-h2", "").verdict == INCONCLUSIVE
    assert "escaped it when perturbed: saddles" in claim(table, "theorem1-coulomb-h2", "").reasons
    assert claim(table, "theorem1-coulomb-h3", "").verdict == CONTRADICTED  # two held: spurious minima
    assert claim(table, "theorem1-gaussian-h2", "").verdict == INCONCLUSIVE
    assert claim(table, "theorem1-gaussian-h3", "").verdict == REPRODUCED
