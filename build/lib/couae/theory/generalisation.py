"""Theorem 2 made checkable: its bound at a confidence delta, whether its
assumptions hold for a trained model, and the generalisation gap measured
on the same model.

The statement (`../shared/notes/theorem2.md`; Section 2.2 of the paper), for the
objective L_hat of eq. (2) on N training points and its population value L:

  P{|L_hat - L| > t + lambda (s + u + v)} <= 2 exp(-2 N t^2 / xi^2)
      + 2 exp(-2 floor(N/2) s^2 / K^2) + 2 exp(-2 floor(N/2) u^2 / K^2)
      + 2 exp(-2 N v^2 / K^2)

with xi the largest reconstruction error and 0 <= k <= K. Splitting delta
equally over the four terms and inverting each gives eps(delta): with
probability at least 1 - delta, |L_hat - L| <= eps(delta). The cross term is
2/N^2 times a sum of kernel values, whose range is 2K, not K as printed: the
corrected v (2K in place of K) is shown beside the printed one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ..core.mmd import mmd2_unbiased_blocked
from ..core.seeding import torch_generator
from ..kernels import make_kernel
from ..models import model_type
from ..settings import GapSettings

TERMS = ("t", "s", "u", "v")


def kernel_range(kernel, span: float) -> tuple[float, str]:
    """The K the bound is evaluated with, and where it comes from: the
    theorem's K where its assumption holds; otherwise the range of the kernel
    over distances up to `span` (the codes' and prior draws' diameter), the K
    the theorem would need on a compact latent domain of that size (the MMD
    does not change when a constant is added to the kernel)."""
    bound, _ = kernel.theorem2_bound()
    if bound is not None:
        return bound, "k(z, z)"
    ends = kernel(torch.tensor([0.0, span**2], dtype=torch.float64))
    return float(ends[0] - ends[1]), f"range over the codes' span {span:.3g}"


def objective_failure(trained) -> str | None:
    """Why a trained model's objective is outside the theorem altogether, or
    None: its objective must be eq. (2) with a kernel fixed before the data
    (the Hoeffding bounds hold for a fixed kernel, not for one fitted to the
    training codes). Each model type says (`ModelType.theorem2_failure`)."""
    return model_type(trained.model).theorem2_failure(trained)


def assumption_failures(trained, kernel) -> list[str]:
    """Which of the theorem's assumptions a trained model breaks (empty: all
    those checked here hold: eq. (2)'s objective, h > 2, a bounded non-negative
    kernel, data of bounded support)."""
    failure = objective_failure(trained)
    if failure is not None:
        return [failure]
    failures = [] if trained.latent_dim > 2 else [f"h = {trained.latent_dim} (the theorem needs h > 2)"]
    _, why = kernel.theorem2_bound()  # each kernel says whether it is bounded and non-negative
    data = trained.theorem2_data_failure  # each data set's settings say whether its data are bounded
    return failures + ([why] if why else []) + ([data] if data else [])


def _inverted(scale: float, n_effective: int, delta: float) -> float:
    """The deviation at which 2 exp(-2 n x^2 / scale^2) equals delta / 4."""
    return scale * math.sqrt(math.log(8.0 / delta) / (2.0 * n_effective))


def bound_terms(n: int, xi: float, k_bound: float, lam: float, delta: float) -> dict:
    """The four deviations (t, s, u, v) at confidence delta split equally,
    eps = t + lambda (s + u + v) as printed, the corrected cross term and eps
    with it, and which of t, lambda s, lambda u, lambda v dominates eps."""
    if not 0.0 < delta < 1.0:
        raise ValueError(f"theory.theorem2.delta must lie in (0, 1), got {delta}")
    half = n // 2
    t = _inverted(xi, n, delta)
    s = u = _inverted(k_bound, half, delta)
    v = _inverted(k_bound, n, delta)
    v_corrected = _inverted(2.0 * k_bound, n, delta)
    parts = {"t": t, "s": lam * s, "u": lam * u, "v": lam * v}
    return {
        "t": t,
        "s": s,
        "u": u,
        "v": v,
        "v_corrected": v_corrected,
        "eps": t + lam * (s + u + v),
        "eps_corrected": t + lam * (s + u + v_corrected),
        "dominant": max(parts, key=parts.get),
    }


def tail_probability(n: int, xi: float, k_bound: float, t: float, s: float, u: float, v: float) -> float:
    """The theorem's right-hand side, as printed, at deviations t, s, u, v."""
    half = n // 2
    return (
        2.0 * math.exp(-2.0 * n * t**2 / xi**2)
        + 2.0 * math.exp(-2.0 * half * s**2 / k_bound**2)
        + 2.0 * math.exp(-2.0 * half * u**2 / k_bound**2)
        + 2.0 * math.exp(-2.0 * n * v**2 / k_bound**2)
    )


def objective_terms(errors: torch.Tensor, codes: torch.Tensor, prior: torch.Tensor, kernel, lam: float) -> dict:
    """Eq. (2) on a whole sample: the mean reconstruction term (errors in
    objective units), the unbiased MMD^2 of the codes against the prior draws,
    and the objective."""
    recon = float(errors.double().mean())
    mmd2 = mmd2_unbiased_blocked(kernel, codes, prior.to(codes.dtype))
    return {"recon": recon, "mmd2": mmd2, "objective": recon + lam * mmd2}


def measured_gap(
    train: tuple[torch.Tensor, torch.Tensor],
    independent: tuple[torch.Tensor, torch.Tensor],
    fresh: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
    kernel,
    lam: float,
    draws: int,
    prior: Callable[[int | str, int], torch.Tensor],
) -> dict:
    """L_hat against L for one trained model, two ways.

    - Theorem 2's gap: L_hat on an independent sample (errors, codes) the
      networks never saw, against L. The theorem is a Hoeffding bound for a
      fixed encoder and decoder, so this is the gap it bounds.
    - The generalisation gap: L_hat on the model's own N training points
      (train), against L. The theorem does not cover it (the networks were
      fitted to those points; it has no capacity term).

    L_hat uses one prior draw of as many points (prior(0, N) for the training
    points, prior("independent", n) for the independent sample); L is the mean
    of eq. (2) over `draws` fresh draws, fresh(r) with prior(r + 1, n), each an
    unbiased estimate of L. `span` bounds the diameter of every code and prior
    point used (`kernel_range`)."""
    if draws < 2:
        raise ValueError(f"theory.theorem2.draws must be at least 2, got {draws}")
    errors, codes = train
    prior_hat = prior(0, len(codes))
    hat = objective_terms(errors, codes, prior_hat, kernel, lam)
    span = codes_span(codes, prior_hat)
    independent_prior = prior("independent", len(independent[1]))
    held_out = objective_terms(*independent, independent_prior, kernel, lam)
    span = max(span, codes_span(independent[1], independent_prior))
    estimates = []
    for r in range(draws):
        fresh_errors, fresh_codes = fresh(r)
        fresh_prior = prior(r + 1, len(fresh_codes))
        estimates.append(objective_terms(fresh_errors, fresh_codes, fresh_prior, kernel, lam))
        span = max(span, codes_span(fresh_codes, fresh_prior))
    values = {key: np.array([e[key] for e in estimates]) for key in ("recon", "mmd2", "objective")}
    population = values["objective"].mean()
    return {
        "objective_train": hat["objective"],
        "objective_independent": held_out["objective"],
        "independent_size": len(independent[1]),
        "objective_fresh": population,
        "objective_fresh_std": values["objective"].std(ddof=1),
        "fresh_draws": draws,
        "fresh_size": len(fresh_codes),
        "theorem_gap": abs(held_out["objective"] - population),
        "generalisation_gap": abs(hat["objective"] - population),
        "generalisation_gap_recon": abs(hat["recon"] - values["recon"].mean()),
        "generalisation_gap_mmd2": abs(hat["mmd2"] - values["mmd2"].mean()),
        "span": span,
    }


def codes_span(*samples: torch.Tensor) -> float:
    """An upper bound on the diameter of the given points: twice the largest norm."""
    return 2.0 * max(float(s.norm(dim=-1).max()) for s in samples)


GAP_COLUMNS = (
    "lambda",
    "recon_weight",
    "assumptions",
    "kernel_bound",
    "kernel_bound_source",
    "objective_train",
    "objective_independent",
    "independent_size",
    "objective_fresh",
    "objective_fresh_std",
    "fresh_draws",
    "fresh_size",
    "theorem_gap",
    "generalisation_gap",
    "generalisation_gap_recon",
    "generalisation_gap_mmd2",
)


def theorem2_row(
    trained,
    train: tuple[torch.Tensor, torch.Tensor] | None,
    independent: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None,
    fresh: Callable[[int], tuple[torch.Tensor, torch.Tensor]] | None,
    settings: GapSettings,
) -> dict:
    """Theorem 2's per-model columns (GAP_COLUMNS) of a trained model
    (`trained`: its TrainingSettings). train, independent() (a sample the
    networks never saw) and fresh(r) give (per-point squared errors without
    the training's recon_weight, codes); the errors
    enter the objective in its own units (recon_weight x error). A model
    whose objective is not eq. (2) gets its failed assumption and no numbers."""
    row = dict.fromkeys(GAP_COLUMNS, float("nan"))
    lam = float("nan") if trained.lam is None else trained.lam  # a model without an MMD term has no lambda
    row.update({"lambda": lam, "recon_weight": trained.recon_weight, "kernel_bound_source": ""})
    failure = objective_failure(trained)
    if failure is not None:  # no numbers
        row["assumptions"] = failure
        return row
    kernel = make_kernel(trained.kernel, trained.latent_dim, **trained.kernel_params)
    if kernel.data_dependent:  # its bandwidth is fitted to each batch: no fixed kernel, no numbers
        row["assumptions"] = kernel.theorem2_bound()[1]
        return row

    def prior(r: int | str, n: int, like: torch.Tensor) -> torch.Tensor:
        draw = torch.randn(n, trained.latent_dim, generator=torch_generator(settings.seed, f"theorem2/prior/{r}"))
        return draw.to(like.device, like.dtype)

    def weighted(pair):
        errors, codes = pair
        return trained.recon_weight * errors, codes

    codes = train[1]
    gap = measured_gap(
        weighted(train), weighted(independent()), lambda r: weighted(fresh(r)), kernel, trained.lam,
        settings.draws, lambda r, n: prior(r, n, codes),
    )  # fmt: skip
    bound, source = kernel_range(kernel, gap.pop("span"))
    failures = assumption_failures(trained, kernel)
    row.update(gap, assumptions="; ".join(failures) or "hold", kernel_bound=bound, kernel_bound_source=source)
    return row
