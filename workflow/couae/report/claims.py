"""The paper's claims, each tested on our results with a verdict.

A comparison claim sets two groups of seeds against each other (CouAE against
WAE at width x1, CouAE at x1 against CouAE at x0.5, ...). Its effect is the
difference of the groups' means, A - B, in the metric's units, with an
interval at `confidence` (Welch's t interval, or a percentile bootstrap over
seeds). The interval decides the direction:

- "A > B" (or "<"): supports when the interval excludes 0 on the claimed side,
  opposes when it excludes 0 on the other side, unclear otherwise;
- "A >= B" (at least as good): supports when the interval lies above -margin,
  opposes when it lies below -margin, unclear otherwise (for "A <= B" the
  mirror image).

The paper's comparison claims are tested together (about twenty in a full
run), so a direction counts only where it survives Holm's correction over
all of them: each claim has one-sided p-values for its side of the threshold
and for the other side (Welch's t test, or the bootstrap's tail), and it
supports (opposes) where its Holm-adjusted p for (against) is at most
1 - confidence. The interval shown is the claim's own, uncorrected; a claim
whose interval clears the threshold but whose adjusted p does not says so.

The verdict is the direction where nothing stands in the way: reproduced
(supports), contradicted (opposes), else inconclusive, with the reasons
(interval spans the threshold, not significant after the correction, one
seed, a shortened run, stand-in data, test-only features). Theorem 1's
claims count runs of the particle flows (no correction: each is its own
count of runs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import caveats, datasets
from ..core.seeding import numpy_rng
from ..datasets import AT_LEAST
from ..kernels import REACHES
from ..settings import ClaimsSettings
from . import paper

REPRODUCED, CONTRADICTED, INCONCLUSIVE = "reproduced", "contradicted", "inconclusive"
SUPPORTS, OPPOSES, UNCLEAR = "supports", "opposes", "unclear"
# An extension row (a model the paper did not run) measured against CouAE: the
# difference and its interval, with no verdict, since the paper claims nothing.
EXTENSION, NO_CLAIM = "Extension", "no paper claim"
TABLE1, TABLE2 = "Table 1", "Table 2"  # the claims' sources the paper's values back
COLUMNS = [
    "claim",
    "source",
    "statement",
    "dataset",
    "variant",
    "compared",
    "claimed",
    "metric",
    "n_a",
    "n_b",
    "mean_a",
    "mean_b",
    "effect",
    "ci_low",
    "ci_high",
    "interval",
    "paper_a",
    "paper_b",
    "paper_effect",
    "p_for",
    "p_against",
    "holm_for",
    "holm_against",
    "direction",
    "verdict",
    "reasons",
    "critical_by_balance",  # Theorem 1: the misses at a critical point at each force-balance threshold
]


def interval(a, b, settings: ClaimsSettings, stream: str) -> tuple[float, float]:
    """Interval of mean(a) - mean(b) at settings.confidence (NaN with fewer than two seeds a side)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return float("nan"), float("nan")
    if settings.interval == "welch":
        ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence_level=settings.confidence)
        return float(ci.low), float(ci.high)
    rng = numpy_rng(settings.seed, f"claims/{stream}")
    n = settings.bootstrap_resamples
    diffs = rng.choice(a, (n, len(a))).mean(1) - rng.choice(b, (n, len(b))).mean(1)
    tail = (1 - settings.confidence) / 2
    low, high = np.quantile(diffs, [tail, 1 - tail])
    return float(low), float(high)


def _threshold(claimed: str, margin: float) -> float:
    """The value of A - B the claim is measured against: 0, or -margin / +margin for 'at least as good'."""
    if claimed in (">=", "<="):
        return -margin if claimed == ">=" else margin
    return 0.0


def p_values(a, b, claimed: str, margin: float, settings: ClaimsSettings, stream: str) -> tuple[float, float]:
    """One-sided p-values (for, against) of the claim: that A - B lies beyond
    its threshold on the claimed side, and on the other side. Welch's t test,
    or with the bootstrap the share of resampled differences on the wrong
    side (its own seeded stream). NaN with fewer than two seeds a side."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return float("nan"), float("nan")
    threshold = _threshold(claimed, margin)
    up = claimed in (">", ">=")
    if settings.interval == "welch":
        greater = stats.ttest_ind(a - threshold, b, equal_var=False, alternative="greater").pvalue
        less = stats.ttest_ind(a - threshold, b, equal_var=False, alternative="less").pvalue
    else:
        rng = numpy_rng(settings.seed, f"claims/p/{stream}")
        n = settings.bootstrap_resamples
        diffs = rng.choice(a, (n, len(a))).mean(1) - rng.choice(b, (n, len(b))).mean(1)
        greater, less = float((diffs <= threshold).mean()), float((diffs >= threshold).mean())
    return (float(greater), float(less)) if up else (float(less), float(greater))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the order given (NaN stays NaN
    and does not count towards the family's size)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m, running = len(order), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        out[index] = running
    return out


def direction(claimed: str, low: float, high: float, margin: float) -> str:
    """Where the interval of A - B lies against what `claimed` asks of it."""
    if np.isnan(low):
        return UNCLEAR
    sign = 1.0 if claimed in (">", ">=") else -1.0
    low, high = sorted((sign * low, sign * high))  # as if the claim were "A - B > 0"
    threshold = -margin if claimed in (">=", "<=") else 0.0
    if low > threshold:
        return SUPPORTS
    if high < threshold:
        return OPPOSES
    return UNCLEAR


def verdict(found: str, reasons: list[str]) -> str:
    if reasons:
        return INCONCLUSIVE
    return {SUPPORTS: REPRODUCED, OPPOSES: CONTRADICTED}.get(found, INCONCLUSIVE)


def _paper(dataset, table, column, width):
    cell = paper.paper_value(table, dataset, column, width)
    return cell[0] if cell is not None else float("nan")


class _Comparisons:
    """Builds the comparison rows of one dataset (or grid variant)."""

    def __init__(self, dataset, variant, evals: pd.DataFrame, settings: ClaimsSettings):
        self.dataset, self.variant, self.evals, self.settings = dataset, variant, evals, settings
        # a variant the paper did not run: its Table 1-2 comparisons are ours, with no paper value or verdict
        self.ours = variant in (settings.extension_variants or {}).get(dataset, [])
        self.rows = []

    def values(self, experiment, width, column):
        hit = self.evals[(self.evals["experiment"] == experiment) & np.isclose(self.evals["width"], width)]
        return hit[column].to_numpy(dtype=float), caveats.join_distinct(hit.get("caveats", pd.Series(dtype=str)))

    def add(self, claim, source, statement, a, b, claimed, column, paper_a=np.nan, paper_b=np.nan, margin=0.0):
        """a, b: (experiment, width) of the two groups; column: what is compared.
        An EXTENSION source gets the direction found and no verdict."""
        (ea, wa), (eb, wb) = a, b
        own_data = self.ours and source in (TABLE1, TABLE2, EXTENSION)  # on data the paper did not run
        if own_data:
            source, paper_a, paper_b = EXTENSION, np.nan, np.nan
        va, marks_a = self.values(ea, wa, column)
        vb, marks_b = self.values(eb, wb, column)
        if len(va) == 0 or len(vb) == 0:
            return  # not run: Tables 1-2 show the paper's cell as "not run"
        stream = f"{self.variant or self.dataset}/{claim}"
        low, high = interval(va, vb, self.settings, stream)
        p_for, p_against = p_values(va, vb, claimed, margin, self.settings, stream)
        found = direction(claimed, low, high, margin)  # the claim's own interval; corrected in `correct`
        reasons = []
        if min(len(va), len(vb)) < 2:
            reasons.append("one seed: no interval")
        elif found == UNCLEAR:
            reasons.append(f"the interval of A - B reaches {'-margin' if '=' in claimed else '0'}")
        iterations, paper_iterations = self.settings.iterations[self.dataset], paper.iterations(self.dataset)
        if paper_iterations is not None and iterations != paper_iterations:
            reasons.append(f"shortened run: {iterations} of {paper_iterations} iterations")
        reasons += caveats.split(caveats.join_distinct([marks_a, marks_b]))
        self.rows.append(
            {
                "claim": claim,
                "source": source,
                "statement": statement,
                "dataset": self.dataset,
                "variant": self.variant,
                "compared": f"A = {ea} x{wa:g}, B = {eb} x{wb:g}",
                "claimed": f"A {claimed} B",
                "metric": column,
                "n_a": len(va),
                "n_b": len(vb),
                "mean_a": va.mean(),
                "mean_b": vb.mean(),
                "effect": va.mean() - vb.mean(),
                "ci_low": low,
                "ci_high": high,
                "interval": f"{self.settings.interval} {self.settings.confidence:.0%}"
                + (f", margin {margin:g}" if "=" in claimed else ""),
                "paper_a": paper_a,
                "paper_b": paper_b,
                "paper_effect": paper_a - paper_b,
                "p_for": p_for,
                "p_against": p_against,
                "holm_for": np.nan,
                "holm_against": np.nan,
                "direction": found,
                "verdict": NO_CLAIM if source == EXTENSION else verdict(found, reasons),
                "reasons": "; ".join(
                    (
                        [f"extension data set: the paper did not run {self.variant or self.dataset}"]
                        if own_data
                        else ["extension row: the paper has no value for it"]
                        if source == EXTENSION
                        else []
                    )
                    + reasons
                ),
                "critical_by_balance": "",
            }
        )


def _dataset_claims(dataset, variant, evals, settings: ClaimsSettings) -> list[dict]:
    c = _Comparisons(dataset, variant, evals, settings)
    columns = settings.paper_columns[dataset]  # paper column -> our experiment
    found = datasets.get(dataset)
    couae, metric, measure = columns.get("CouAE"), found.metric.column, found.metric.label
    better = found.metric.better  # log-likelihood: higher; FID: lower
    at_least = better + "="
    margin = settings.margin[dataset]
    where = f"{dataset} ({variant})" if variant else dataset
    # Table 1: CouAE against each rival as the paper's numbers put it (the data
    # set's `paper.table1_claims`: better, or at least as good where spreads overlap;
    # a data set of ours has none, and sets CouAE against every row below)
    compared = set()
    for rival, word in (found.paper.table1_claims if found.paper else {}).items():
        if couae is None or rival not in columns:
            continue
        compared.add(columns[rival])
        relation = at_least if word == AT_LEAST else better
        c.add(
            f"table1-couae-vs-{rival.lower()}",
            TABLE1,
            f"CouAE's {measure} is {word} {rival}'s ({where}, x1)",
            (couae, 1.0),
            (columns[rival], 1.0),
            relation,
            metric,
            _paper(dataset, 1, "CouAE", 1.0),
            _paper(dataset, 1, rival, 1.0),
            margin=margin if relation == at_least else 0.0,
        )
    if couae is None:
        return c.rows
    unran = "a row the paper did not run" if found.paper else "on a data set the paper did not run"
    for row in [e for e in dict.fromkeys(evals["experiment"]) if e != couae and e not in compared]:
        c.add(
            f"extension-couae-vs-{row}",
            EXTENSION,
            f"CouAE's {measure} against {row}'s, {unran} ({where}, x1)",
            (couae, 1.0),
            (row, 1.0),
            better,
            metric,
        )
    steps = list(zip(paper.TABLE2_WIDTHS[:-1], paper.TABLE2_WIDTHS[1:], strict=True))  # (x0.25, x0.5), (x0.5, x1)
    for small, large in steps:
        c.add(
            f"table2-width-x{large:g}-vs-x{small:g}",
            TABLE2,
            f"CouAE's {measure} improves from width x{small:g} to x{large:g} ({where})",
            (couae, large),
            (couae, small),
            better,
            metric,
            _paper(dataset, 2, "CouAE", large),
            _paper(dataset, 2, "CouAE", small),
        )
    for column, reading in (("xi", "largest"), ("recon_mean", "mean")):
        for small, large in steps:
            c.add(
                f"theorem2-{column}-x{large:g}-vs-x{small:g}",
                "Theorem 2",
                f"CouAE's {reading} reconstruction error shrinks from width x{small:g} to x{large:g} ({where})",
                (couae, large),
                (couae, small),
                "<",
                column,
            )
    return c.rows


def _theorem1_direction(role: str, r, settings: ClaimsSettings) -> tuple[str, list[str]]:
    """What one Theorem 1 row (a flow in one dimension, plain descent) says of
    the claim, and what stands in the way. A run that missed the minimum
    counts against Theorem 1 (or for a stall) only where it ended at a critical
    point (`missed_at_critical`: the forces on the particles off their samples
    had vanished); one still moving says nothing yet (not converged)."""
    k, n = int(round(r["fraction_global"] * r["runs"])), int(r["runs"])
    critical = int(r["missed_at_critical"])
    # the second-order check: a critical point whose run escaped when perturbed is a saddle, not a minimum
    saddles = int(r.get("missed_at_saddle", 0))
    minima = critical - saddles
    moved = not np.isclose(r["median_worst_distance"], r["median_start_worst_distance"], rtol=1e-2)
    remark = settings.theorem1_remarks.get(r["flow"], {}).get(str(r["dim"]), "")
    at_saddles = f"the {saddles} runs that missed at a critical point escaped it when perturbed: saddles"
    if role == REACHES:
        if k == n:
            return SUPPORTS, []
        if r["particles"] <= r["dim"]:
            return UNCLEAR, [f"Assumption 1 (N > h) fails: N = {r['particles']} particles in h = {r['dim']}"]
        if minima:  # a spurious minimum: against the theorem, unless the kernel's smoothing made it
            return OPPOSES, [f"our smoothing may cause it: {remark}"] if remark else []
        if saddles:
            return UNCLEAR, [f"not converged: {at_saddles}, which the theorem allows"]
        if not moved:
            return UNCLEAR, ["the flow stalled: its particles did not move"]
        return UNCLEAR, [f"not converged: the {n - k} runs that missed the minimum were still moving"]
    if minima:
        return SUPPORTS, []
    if saddles:
        return UNCLEAR, [f"{at_saddles}, not spurious minima"]
    if k < n:
        return UNCLEAR, [f"not converged: the {n - k} runs that missed the minimum were still moving"]
    return UNCLEAR, ["every run reached it: a stall was not observed"]


def _theorem1_claims(table: pd.DataFrame, settings: ClaimsSettings) -> list[dict]:
    """Plain descent (noise 0): every run of a flow under Theorem 1's kernel
    (its role REACHES) reaches the global minimum, per dimension; flows whose
    kernel the paper says can stall (CAN_STALL) can end at a spurious minimum."""
    rows = []
    plain = table[table["noise"] == 0]
    for role, flows in settings.theorem1_flows.items():
        for flow in flows:
            for _, r in plain[plain["flow"] == flow].sort_values("dim").iterrows():
                k, n = int(round(r["fraction_global"] * r["runs"])), int(r["runs"])
                ci = stats.binomtest(k, n).proportion_ci(confidence_level=settings.confidence, method="exact")
                found, reasons = _theorem1_direction(role, r, settings)
                if role == REACHES:
                    statement = f"every run of the {flow} flow (Theorem 1's kernel) reaches the global minimum"
                else:
                    statement = f"the {flow} flow can end at a spurious minimum"
                rows.append(
                    {
                        "claim": f"theorem1-{flow}-h{r['dim']}",
                        "source": "Theorem 1",
                        "statement": f"{statement} (h = {r['dim']})",
                        "dataset": "theory",
                        "variant": "",
                        "compared": f"{flow}, plain descent",
                        "claimed": "all runs reach it" if role == REACHES else "some run ends at a spurious minimum",
                        "metric": "fraction_global",
                        "n_a": n,
                        "n_b": 0,
                        "mean_a": k / n,
                        "mean_b": np.nan,
                        "effect": k / n,
                        "ci_low": ci.low,
                        "ci_high": ci.high,
                        "interval": f"Clopper-Pearson {settings.confidence:.0%}",
                        "paper_a": np.nan,
                        "paper_b": np.nan,
                        "paper_effect": np.nan,
                        "p_for": np.nan,
                        "p_against": np.nan,
                        "holm_for": np.nan,
                        "holm_against": np.nan,
                        "direction": found,
                        "verdict": verdict(found, reasons),
                        "reasons": "; ".join(reasons),
                        "critical_by_balance": r.get("critical_by_balance", ""),
                    }
                )
    return rows


def claims_table(evaluations, theorem1: pd.DataFrame, settings: ClaimsSettings):
    """Every claim row: per data set (in the order given: (name, per-seed
    evaluation rows or None) pairs) and variant, then Theorem 1."""
    rows = []
    for dataset, evals in evaluations:
        if evals is None or not len(evals):
            continue  # not run: its cells say so in Tables 1-2
        evals = evals if "variant" in evals else evals.assign(variant="")
        for variant in dict.fromkeys(evals["variant"]):
            rows += _dataset_claims(dataset, variant, evals[evals["variant"] == variant], settings)
    table = correct(pd.DataFrame(rows, columns=COLUMNS), settings)
    return pd.concat([table, pd.DataFrame(_theorem1_claims(theorem1, settings), columns=COLUMNS)], ignore_index=True)


def correct(table: pd.DataFrame, settings: ClaimsSettings) -> pd.DataFrame:
    """Holm's correction over the paper's comparison claims (not the extension
    rows, which claim nothing): a direction stands where its adjusted p is at
    most 1 - confidence; the verdicts and reasons follow."""
    table = table.copy()
    family = table["source"] != EXTENSION
    if not family.any():
        return table
    alpha = 1.0 - settings.confidence
    table.loc[family, "holm_for"] = holm(table.loc[family, "p_for"].to_numpy())
    table.loc[family, "holm_against"] = holm(table.loc[family, "p_against"].to_numpy())
    size = int(table.loc[family, "p_for"].notna().sum())
    for index in table.index[family]:
        row = table.loc[index]
        found = SUPPORTS if row.holm_for <= alpha else OPPOSES if row.holm_against <= alpha else UNCLEAR
        reasons = [r for r in row.reasons.split("; ") if r]
        if found == UNCLEAR and row.direction != UNCLEAR:  # its own interval cleared the threshold; the family's not
            adjusted = row.holm_for if row.direction == SUPPORTS else row.holm_against
            reasons.insert(0, f"not significant after Holm's correction over {size} claims (adjusted p {adjusted:.3g})")
        table.loc[index, ["direction", "verdict", "reasons"]] = [found, verdict(found, reasons), "; ".join(reasons)]
    return table


def verdict_counts(claims: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict, in a fixed order."""
    return {v: int((claims["verdict"] == v).sum()) for v in (REPRODUCED, CONTRADICTED, INCONCLUSIVE)}


def verdict_lines(claims: pd.DataFrame, dataset: str, variant: str) -> list[str]:
    """'statement: verdict' for the claims on the test metric of one dataset or
    variant (Tables 1-2), for a figure's title."""
    rows = claims[
        (claims["dataset"] == dataset)
        & (claims["variant"].fillna("") == variant)
        & (claims["metric"] == paper.metric(dataset).column)
        & (claims["source"] != EXTENSION)
    ]
    return [f"{r.statement}: {r.verdict.upper()}" for r in rows.itertuples()]
