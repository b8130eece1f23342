"""KernelNet's learned kernel (Zhou, Chen, Xu) for the MMD autoencoder.
Settings, sources and ambiguities: `../shared/notes/related-models.md`, section 2.

The kernel is a random-feature estimate of a shift-invariant kernel whose
spectral distribution is produced by networks (Bochner's theorem):
    k(z1, z2) = E[2 cos(w.z1 + b) cos(w.z2 + b)],   b ~ U[0, 2 pi],
estimated with N draws as (2/N) sum_n cos(w_n.z1 + b_n) cos(w_n.z2 + b_n).
- Data-independent part: w = g(e), e ~ N(0, I), g an MLP (on its own: IKL).
- Optional data-dependent part: w = mu(z1, z2) + e * sigma(z1, z2), symmetrised
  by averaging mu and sigma over both orders of the pair, so the estimate is
  exactly symmetric; its expectation is cos(mu.t) exp(-|sigma * t|^2 / 2),
  t = z1 - z2.
The autoencoder descends recon + lambda MMD^2 with the kernel held fixed; the
kernel's networks ascend MMD^2 - alpha Omega with their own Adam, never
descend it (descending sends w to 0: a constant kernel and MMD^2 = 0).
Omega = E|w_1|^2 + E|w_2|^2 + |d w_2/d z1 - d w_2/d z2|_F (eq. 10).

Every quantity has a leading seed axis: each seed has its own kernel networks
and its own feature draws, like the grid's stacked networks.
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass, fields

import torch
from torch import nn
from torch.nn.functional import softplus
from torch.utils.checkpoint import checkpoint

from .objectives import _at_least_float32, squared_error
from .seeding import torch_generator
from .stacked_mlp import SpectralNormMLP, StackedMLP, layer_sizes
from .training import set_own_gradients

log = logging.getLogger(__name__)

# Collapse: a kernel blind at the prior's scale. Its sensitivity is its MMD^2
# between the prior and the prior shifted by one standard deviation along the
# first axis (SENSITIVITY_POINTS fixed draws of each, fixed features, critic
# included). A unit-bandwidth Gaussian kernel scores 0.09 there at h = 2, the
# PyTorch-initialised kernel about 0.03; below BLIND_MMD2 the kernel tells no
# distribution at that scale from the prior, whether its frequencies have shrunk
# (w -> 0: flat), grown past it (a spike) or its critic folds points together,
# and the MMD term no longer acts. Checked every COLLAPSE_CHECK_EVERY steps
# (one device synchronisation each) and once at the end, per seed, for the tables.
BLIND_MMD2 = 1e-3
SENSITIVITY_POINTS = 2048
COLLAPSE_CHECK_EVERY = 1000

# per-seed loss terms of one step: the autoencoder's three, then the kernel's
TERM_NAMES = ("loss", "recon", "regulariser", "kernel_objective", "omega", "min_eigenvalue")

# The data-dependent part is computed in row blocks of the pair matrix of at
# most this many (seed, pair, feature) values, each block recomputed in the
# backward pass (activation checkpointing): memory stays bounded whatever the batch.
_PAIR_BLOCK_VALUES = 2**22


@dataclass(frozen=True)
class LearnedKernelSettings:
    """The learned kernel's settings: the `learnedkernel` model type's parameters (couae.models.learnedkernel)."""

    features: int  # N random features of the data-independent part (KernelNet: 512 for its VAE)
    hidden: int  # units per hidden layer of the kernel's networks (KernelNet: 16)
    n_hidden: int  # hidden layers ("3-layer MLP": 2 hidden + output)
    data_dependent: bool  # add the pair-dependent part (KernelNet's DK); off: IKL
    pair_features: int  # random features of the data-dependent part (one set per pair)
    jacobian_pairs: int  # pairs on which Omega's Jacobian term is estimated by autograd
    alpha: float  # alpha2: Omega's weight in the kernel's objective (KernelNet: 5)
    lr_ratio: float  # the kernel's Adam lr / the autoencoder's (KernelNet: 0.01)
    kernel_optimizer: str  # "adam" (with adam_betas) or "sgd"
    adam_betas: tuple[float, float]  # the kernel's Adam (KernelNet: (0.5, 0.9))
    normalise: bool  # with both parts, halve their sum so k(z, z) is about 1, not 2
    gram_check_points: int  # codes and prior draws per step whose Gram matrix's smallest eigenvalue is logged
    omega_ceiling: float | None  # None: alpha Omega (KernelNet); c: alpha max(0, Omega - c), only beyond c
    omega_floor: float | None  # with a ceiling: f adds alpha max(0, f - Omega), a penalty on frequencies shrinking
    spectral_init: str  # "pytorch" (its default init) or "unit" (scaled so E|w|^2 = the kernel space's dim)
    kernel_steps: int  # the kernel's (and critic's) ascent steps per autoencoder step (KernelNet's GANs: 5)
    critic_features: int  # 0: the kernel acts on the codes; n: on KernelNet's critic h(z) in R^n
    critic_hidden: int  # units per hidden layer of the critic (spectrally normalised MLP)
    critic_n_hidden: int

    def penalty(self, omega: torch.Tensor) -> torch.Tensor:
        """alpha Omega, or alpha max(0, Omega - c) with a ceiling c, plus alpha
        max(0, f - Omega) with a floor f: Omega kept in the band [f, c]."""
        if self.omega_ceiling is None:
            return self.alpha * omega
        penalty = (omega - self.omega_ceiling).clamp_min(0.0)
        if self.omega_floor is not None:
            penalty = penalty + (self.omega_floor - omega).clamp_min(0.0)
        return self.alpha * penalty

    @classmethod
    def from_params(cls, params) -> LearnedKernelSettings:
        expected = {f.name for f in fields(cls)}
        if set(params) != expected:
            raise ValueError(f"the learned kernel takes the parameters {sorted(expected)}, got {sorted(params)}")
        values = dict(params)
        values["adam_betas"] = tuple(float(b) for b in values["adam_betas"])
        return cls(**values)


@dataclass
class FeatureDraws:
    """One step's random features, per seed: (S, N, h) normal draws and (S, N) phases."""

    spectral: torch.Tensor
    phase: torch.Tensor
    pair: torch.Tensor | None = None
    pair_phase: torch.Tensor | None = None


def _phases(n: int, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=gen) * (2 * math.pi)


def _cos_features_gram(args_a: torch.Tensor, args_b: torch.Tensor) -> torch.Tensor:
    """(2/N) sum_n cos(a_n) cos(b_n) over the last axis."""
    return torch.cos(args_a).mul(torch.cos(args_b)).mean(-1).mul(2.0)


class LearnedKernel(nn.Module):
    """The kernel's networks for S seeds: the spectral generator g (noise ->
    frequencies), when data-dependent the pair network (z1, z2) -> (mu,
    sigma), and with `critic_features` KernelNet's critic h, a spectrally
    normalised MLP from the codes to the space the kernel acts on (`latent_dim`
    is that space's dimension; `code_dim` the codes')."""

    def __init__(self, latent_dim: int, settings: LearnedKernelSettings, seeds):
        super().__init__()
        self.code_dim, self.settings = latent_dim, settings
        h = self.latent_dim = settings.critic_features or latent_dim
        sizes = (settings.hidden, settings.n_hidden, 1.0)
        spectral_init = [torch_generator(s, "init/kernel/spectral") for s in seeds]
        self.spectral = StackedMLP(layer_sizes(h, *sizes, h), spectral_init)
        if settings.spectral_init == "unit":
            self._unit_bandwidth([torch_generator(s, "init/kernel/bandwidth") for s in seeds])
        self.pair = None
        if settings.data_dependent:
            self.pair = StackedMLP(
                layer_sizes(2 * h, *sizes, 2 * h), [torch_generator(s, "init/kernel/pair") for s in seeds]
            )
        self.critic = None
        if settings.critic_features:
            self.critic = SpectralNormMLP(
                layer_sizes(latent_dim, settings.critic_hidden, settings.critic_n_hidden, 1.0, h),
                [torch_generator(s, "init/kernel/critic") for s in seeds],
                power=[torch_generator(s, "init/kernel/critic-power") for s in seeds],
            )

    @torch.no_grad()
    def _unit_bandwidth(self, generators, draws: int = 4096) -> None:
        """Scale g's output layer so that E|w|^2 = h for each seed: a kernel of
        about unit bandwidth on the prior's scale, where PyTorch's default init
        starts one about five prior standard deviations wide."""
        noise = torch.stack([torch.randn(draws, self.latent_dim, generator=g) for g in generators])
        mean_sq = self.spectral(noise).square().sum(-1).mean(-1)  # (S,)
        factor = (self.latent_dim / mean_sq).sqrt()
        self.spectral.weights[-1].mul_(factor[:, None, None])
        self.spectral.biases[-1].mul_(factor[:, None, None])

    def embed(self, points: torch.Tensor) -> torch.Tensor:
        """Points (S, M, code_dim) in the space the kernel acts on: the critic's features, or the codes."""
        return points if self.critic is None else self.critic(points)

    @property
    def n_parts(self) -> int:
        return 1 if self.pair is None else 2

    def draw(self, generators: list[torch.Generator], device, dtype=torch.float32, times=None) -> FeatureDraws:
        """Features from one generator per seed (drawn on the CPU: the same
        numbers on any device): one set, (S, N, h) as a step uses them, or
        `times` sets one after another, (times, S, N, h)."""
        s, h = self.settings, self.latent_dim
        parts = {"spectral": [], "phase": [], "pair": [], "pair_phase": []}
        for gen in generators:
            own = {k: [] for k in parts}
            for _ in range(times or 1):
                own["spectral"].append(torch.randn(s.features, h, generator=gen))
                own["phase"].append(_phases(s.features, gen))
                if self.pair is not None:
                    own["pair"].append(torch.randn(s.pair_features, h, generator=gen))
                    own["pair_phase"].append(_phases(s.pair_features, gen))
            for k, v in own.items():
                if v:
                    parts[k].append(torch.stack(v))
        stacked = {k: torch.stack(v, 1).to(device, dtype) if v else None for k, v in parts.items()}
        if times is None:
            stacked = {k: None if v is None else v[0] for k, v in stacked.items()}
        return FeatureDraws(**stacked)

    def frequencies(self, draws: FeatureDraws) -> torch.Tensor:
        """The data-independent part's frequencies w = g(e): (S, N, h)."""
        return self.spectral(draws.spectral)

    def _pair_moments(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, sigma) of w for the pairs (a_i, b_j), before symmetrising: (S, n, m, h) each."""
        n, m = a.shape[-2], b.shape[-2]
        pairs = torch.cat(
            [a[..., :, None, :].expand(-1, n, m, -1), b[..., None, :, :].expand(-1, n, m, -1)], dim=-1
        ).flatten(1, 2)
        mu, raw = self.pair(pairs).unflatten(1, (n, m)).chunk(2, dim=-1)
        return mu, softplus(raw)

    def _pair_rows(self, points: torch.Tensor, start: int, stop: int, eps: torch.Tensor, phase: torch.Tensor):
        """Rows start:stop of the data-dependent part's Gram matrix over `points`."""
        rows = points[:, start:stop]
        mu_ab, sigma_ab = self._pair_moments(rows, points)
        mu_ba, sigma_ba = self._pair_moments(points, rows)
        mu = 0.5 * (mu_ab + mu_ba.transpose(1, 2))  # symmetric in the pair: same w for (i, j) and (j, i)
        sigma = 0.5 * (sigma_ab + sigma_ba.transpose(1, 2))

        def arguments(z):  # w_n . z + b_n = mu.z + e_n.(sigma * z) + b_n, for every pair and feature
            return (
                (mu * z).sum(-1, keepdim=True)
                + torch.matmul(sigma * z, eps[:, None].transpose(-2, -1))
                + phase[:, None, None]
            )

        return _cos_features_gram(arguments(rows[:, :, None, :]), arguments(points[:, None, :, :]))

    def features(self, points: torch.Tensor, draws: FeatureDraws) -> torch.Tensor:
        """The data-independent part's features sqrt(2/N) cos(w_n.z + b_n): (S, M, N)."""
        omega = self.frequencies(draws)
        args = points @ omega.transpose(-2, -1) + draws.phase[:, None, :]
        return torch.cos(args) * math.sqrt(2.0 / self.settings.features)

    def pair_gram(self, points: torch.Tensor, draws: FeatureDraws) -> torch.Tensor:
        """The data-dependent part's Gram matrix over `points` (S, M, h): (S, M, M)."""
        s, m = points.shape[0], points.shape[1]
        block = max(1, _PAIR_BLOCK_VALUES // (s * m * self.settings.pair_features))
        rows = [
            checkpoint(self._pair_rows, points, i, min(i + block, m), draws.pair, draws.pair_phase, use_reentrant=False)
            for i in range(0, m, block)
        ]
        return torch.cat(rows, dim=1)

    def _scale(self) -> float:
        return 1.0 / self.n_parts if self.settings.normalise else 1.0

    def gram(self, points: torch.Tensor, draws: FeatureDraws) -> torch.Tensor:
        """The kernel's Gram matrix over `points` (S, M, code_dim): (S, M, M)."""
        points = self.embed(points)
        phi = self.features(points, draws)
        gram = phi @ phi.transpose(-2, -1)
        if self.pair is None:
            return gram
        return (gram + self.pair_gram(points, draws)) * self._scale()

    def mmd2_unbiased(self, x: torch.Tensor, y: torch.Tensor, draws: FeatureDraws) -> torch.Tensor:
        """Eq. (2) under this kernel and features, per seed (S,). The
        data-independent part is a finite feature map phi, so its pair sums
        come from feature sums: sum_{i != j} phi_i.phi_j = |sum_i phi_i|^2 -
        sum_i |phi_i|^2, O(M N) instead of the O(M^2 N) Gram matrix."""
        n, m = x.shape[-2], y.shape[-2]
        if n < 2 or m < 2:
            raise ValueError("the unbiased MMD estimator needs at least 2 samples per set")
        x, y = self.embed(x), self.embed(y)
        phi_x, phi_y = self.features(x, draws), self.features(y, draws)

        def within(phi, size):
            return (phi.sum(-2).square().sum(-1) - phi.square().sum((-2, -1))) / (size * (size - 1))

        mmd2 = within(phi_x, n) + within(phi_y, m) - 2.0 * (phi_x.mean(-2) * phi_y.mean(-2)).sum(-1)
        if self.pair is None:
            return mmd2
        pair = mmd2_unbiased_from_gram(self.pair_gram(torch.cat([x, y], dim=-2), draws), n)
        return (mmd2 + pair) * self._scale()

    def regulariser(self, a: torch.Tensor, b: torch.Tensor, draws: FeatureDraws) -> torch.Tensor:
        """Omega per seed (eq. 10): the frequencies' mean squared norm, and for the
        data-dependent part its frequencies' mean squared norm and the mean
        Frobenius norm of d w/d z1 - d w/d z2 on the pairs (a_i, b_i), i <
        jacobian_pairs (one normal draw per pair; autograd, with a graph)."""
        omega = self.frequencies(draws).square().sum(-1).mean(-1)
        if self.pair is None:
            return omega
        k = min(self.settings.jacobian_pairs, a.shape[-2], b.shape[-2], draws.pair.shape[-2])
        z1 = self.embed(a[:, :k]).detach().requires_grad_(True)
        z2 = self.embed(b[:, :k]).detach().requires_grad_(True)
        with torch.enable_grad():
            mu, raw = self.pair(torch.cat([z1, z2], dim=-1)).chunk(2, dim=-1)
            w = mu + draws.pair[:, :k] * softplus(raw)  # (S, k, h)
            rows = []
            for j in range(self.latent_dim):  # row j of both Jacobians, for every pair at once
                d1, d2 = torch.autograd.grad(w[..., j].sum(), (z1, z2), create_graph=True)
                rows.append(d1 - d2)
        jacobian_gap = torch.stack(rows, dim=-2).square().sum((-2, -1)).sqrt().mean(-1)
        return omega + w.square().sum(-1).mean(-1) + jacobian_gap

    def plain_state_dict(self, stack: int) -> dict[str, torch.Tensor]:
        """One seed's kernel networks, in plain nn.Sequential layout."""
        state = {f"spectral.{k}": v for k, v in self.spectral.plain_state_dict(stack).items()}
        for name in ("pair", "critic"):
            if getattr(self, name) is not None:
                state.update({f"{name}.{k}": v for k, v in getattr(self, name).plain_state_dict(stack).items()})
        return state


def mmd2_unbiased_from_gram(gram: torch.Tensor, n: int) -> torch.Tensor:
    """Eq. (2) from the Gram matrix (S, n + m, n + m) of n codes followed by m
    prior draws; the diagonals (noisy under random features) are left out."""
    m = gram.shape[-1] - n
    if n < 2 or m < 2:
        raise ValueError("the unbiased MMD estimator needs at least 2 samples per set")

    def within(block, size):
        return (block.sum((-2, -1)) - block.diagonal(dim1=-2, dim2=-1).sum(-1)) / (size * (size - 1))

    return within(gram[:, :n, :n], n) + within(gram[:, n:, n:], m) - 2.0 * gram[:, :n, n:].mean((-2, -1))


@torch.no_grad()
def smallest_eigenvalue(kernel: LearnedKernel, x: torch.Tensor, y: torch.Tensor, draws: FeatureDraws) -> torch.Tensor:
    """The smallest eigenvalue of the kernel's Gram matrix (these features) on
    the first gram_check_points codes and prior draws, per seed (S,): negative
    means the estimate is not positive semi-definite (possible with the
    data-dependent part; the data-independent part's Gram matrix is one by
    construction, up to rounding)."""
    k = kernel.settings.gram_check_points
    gram = kernel.gram(torch.cat([x[:, :k], y[:, :k]], dim=-2), draws)
    return torch.linalg.eigvalsh(gram.double())[..., 0].to(x.dtype)


@dataclass
class LearnedKernelObjective:
    """recon + lambda MMD^2 under the learned kernel, and the kernel's own
    objective MMD^2 - alpha Omega on the same batch and features."""

    settings: LearnedKernelSettings
    lam: float
    recon_weight: float
    needs_noise = False

    def latent_outputs(self, latent_dim: int) -> int:
        return latent_dim

    def encode_mean(self, encoder_out: torch.Tensor) -> torch.Tensor:
        return encoder_out

    def terms(
        self, kernel: LearnedKernel, draws: FeatureDraws, encoder, decoder, x, z_prior
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per seed (S, 5), with graphs: loss, recon, MMD^2, the kernel's
        objective, Omega; and the codes (float32 at least)."""
        z = encoder(x)
        recon = self.recon_weight * squared_error(x, decoder(z)).mean(-1)
        z = _at_least_float32(z)
        z_prior = z_prior.to(z.dtype)
        mmd2 = kernel.mmd2_unbiased(z, z_prior, draws)
        omega = kernel.regulariser(z, z_prior, draws)
        objective = mmd2 - self.settings.penalty(omega)
        terms = torch.stack([recon + self.lam * mmd2, recon, mmd2, objective, omega], -1)
        return terms, z

    def kernel_objective(self, kernel: LearnedKernel, draws: FeatureDraws, z, z_prior) -> torch.Tensor:
        """MMD^2 - the penalty on fixed codes z (a kernel-only ascent step), per seed."""
        z_prior = z_prior.to(z.dtype)
        return kernel.mmd2_unbiased(z, z_prior, draws) - self.settings.penalty(kernel.regulariser(z, z_prior, draws))


@dataclass
class LearnedKernelStep:
    """The autoencoder's descent step and the kernel's ascent step, simultaneous
    (both from the same batch and features, each network moved by its own
    objective's gradient only), with one optimiser each.

    Its random features are drawn a block of steps at a time, before the block
    (`draw_block`), from each seed's own stream in the order the steps use
    them: the step itself draws nothing on the CPU, so a CUDA graph can hold
    it. The Gram matrix's smallest eigenvalue and the collapse check run at
    block ends (`after_block`), outside the step."""

    encoder: nn.Module
    decoder: nn.Module
    kernel: LearnedKernel
    objective: LearnedKernelObjective
    optimizer: torch.optim.Optimizer
    kernel_optimizer: torch.optim.Optimizer
    latent_dim: int
    feature_generators: list[torch.Generator]
    autocast_dtype: torch.dtype | None = None
    term_names: tuple[str, ...] = TERM_NAMES
    sampling_network = "decoder"
    compile_pays_on_cpu = False  # benchmarks/train_grid.py: compiled runs at eager's rate on a CPU (0.96x)
    seeds: tuple[int, ...] = ()  # (the sensitivity check's fixed draws come from each seed's own stream)
    checked: int = 0  # the last COLLAPSE_CHECK_EVERY-step mark the collapse was checked at (this process)
    collapsed: bool = False  # said once per process
    last: tuple | None = None  # the last step's codes, prior draws and features (for the Gram check)

    @property
    def graph_safe(self) -> bool:
        """A CUDA graph can hold the step; not with the pair-dependent part, whose
        checkpointed row blocks and Jacobians have not been captured yet."""
        return self.kernel.pair is None

    def networks(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder, "kernel": self.kernel}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"autoencoder": self.optimizer, "kernel": self.kernel_optimizer}

    def gaussian_draws(self) -> dict[str, int]:
        return {"prior": self.latent_dim}

    def generators(self) -> dict[str, torch.Generator]:
        return {f"kernel_features/{k}": g for k, g in enumerate(self.feature_generators)}

    def draw_block(self, n_steps: int) -> dict[str, torch.Tensor]:
        """The features of `n_steps` steps, from each seed's stream in the order
        the steps draw them (per step: its own, then each extra kernel step's):
        (n_steps, S, kernel_steps, ...) per part, on the CPU."""
        k = self.objective.settings.kernel_steps
        drawn = self.kernel.draw(self.feature_generators, "cpu", times=n_steps * k)
        return {
            f"features/{name}": value.unflatten(0, (n_steps, k)).transpose(1, 2)
            for name, value in vars(drawn).items()
            if value is not None
        }

    @staticmethod
    def _features(draws, k: int, dtype) -> FeatureDraws:
        """The k-th set of this step's features (0: the step's own; k > 0: extra kernel step k's)."""
        parts = {name.split("/", 1)[1]: value[:, k].to(dtype) for name, value in draws.items() if "/" in name}
        return FeatureDraws(**parts)

    def __call__(self, x, draws):
        dtype = next(self.kernel.parameters()).dtype
        features = self._features(draws, 0, dtype)
        autocast = contextlib.nullcontext()
        if self.autocast_dtype is not None:
            autocast = torch.autocast(x.device.type, dtype=self.autocast_dtype)
        for k in range(1, self.objective.settings.kernel_steps):  # the kernel's extra ascent steps, codes fixed
            self._kernel_step(x, draws["prior"], autocast, self._features(draws, k, dtype))
        with autocast:
            terms, codes = self.objective.terms(self.kernel, features, self.encoder, self.decoder, x, draws["prior"])
        ae_params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        # Seeds share no parameters: each sum's gradient is each seed's own. The
        # autoencoder descends its loss, the kernel ascends its objective.
        set_own_gradients((terms[:, 0].sum(), ae_params), (-terms[:, 3].sum(), list(self.kernel.parameters())))
        self.optimizer.step()
        self.kernel_optimizer.step()
        self.last = (codes.detach(), draws["prior"].to(codes.dtype), features)
        return torch.cat([terms.detach(), torch.zeros_like(terms[:, :1])], dim=-1)  # min_eigenvalue: after_block

    def after_block(self, step: int, row: torch.Tensor) -> None:
        """At a block's end (`step`): its history `row` (S, terms) takes the
        smallest eigenvalue of the kernel's Gram matrix on the block's last
        step (its codes, prior draws and features), and every
        COLLAPSE_CHECK_EVERY steps the collapse is checked."""
        if self.last is not None:
            training = self.kernel.training
            self.kernel.eval()  # a diagnostic: the critic's power iteration stays where the training left it
            try:
                row[:, TERM_NAMES.index("min_eigenvalue")] = smallest_eigenvalue(self.kernel, *self.last).to(row)
            finally:
                self.kernel.train(training)
        if not self.collapsed and step // COLLAPSE_CHECK_EVERY != self.checked:
            self.checked = step // COLLAPSE_CHECK_EVERY
            self._check_collapse()

    def _kernel_step(self, x, z_prior, autocast, features: FeatureDraws) -> None:
        """One ascent step of the kernel's networks alone, on fresh `features` and this batch's codes."""
        with torch.no_grad(), autocast:
            codes = _at_least_float32(self.encoder(x))
        objective = self.objective.kernel_objective(self.kernel, features, codes, z_prior)
        self.kernel_optimizer.zero_grad(set_to_none=True)
        (-objective.sum()).backward()
        self.kernel_optimizer.step()

    @torch.no_grad()
    def sensitivity(self) -> torch.Tensor:
        """Each seed's kernel MMD^2 between N(0, I) and N(e_1, I), from fixed
        draws (the same at every call, apart from the training's streams): (S,)."""
        dtype = next(self.kernel.parameters()).dtype
        device = next(self.kernel.parameters()).device
        generators = [torch_generator(s, "diagnostics/sensitivity") for s in self.seeds]
        shape = (SENSITIVITY_POINTS, self.kernel.code_dim)
        prior = torch.stack([torch.randn(shape, generator=g) for g in generators]).to(device, dtype)
        shifted = torch.stack([torch.randn(shape, generator=g) for g in generators]).to(device, dtype)
        shifted[..., 0] += 1.0
        training = self.kernel.training
        self.kernel.eval()  # the critic's power iteration stays where the training left it
        try:
            return self.kernel.mmd2_unbiased(prior, shifted, self.kernel.draw(generators, device, dtype))
        finally:
            self.kernel.train(training)

    def diagnostics(self) -> list[dict[str, float]]:
        """What the tables read about each seed's trained kernel (`couae.models.learnedkernel`)."""
        return [{"kernel_sensitivity": float(v)} for v in self.sensitivity()]

    def _check_collapse(self) -> None:
        """Warn (once) when every seed's kernel has gone blind at the prior's scale."""
        sensitivity = self.sensitivity()
        if bool((sensitivity < BLIND_MMD2).all()):
            self.collapsed = True
            log.warning(
                "the learned kernel has collapsed: its MMD^2 between the prior and the prior shifted by one std is "
                "%.3g < %.3g in every seed, so the MMD term has stopped acting (docs/results.md)",
                float(sensitivity.max()),
                BLIND_MMD2,
            )


def build_learned_step(encoder, decoder, settings, seeds, device, autocast_dtype=None, fused=False):
    """The learned-kernel step of a training job's settings (grid or images):
    kernel networks and feature streams per seed, Adam for each side."""
    kernel_settings = LearnedKernelSettings.from_params(settings.model_params)
    dtype = next(encoder.parameters()).dtype
    kernel = LearnedKernel(settings.latent_dim, kernel_settings, seeds).to(device, dtype)
    objective = LearnedKernelObjective(kernel_settings, settings.lam, settings.recon_weight)
    ae_params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(ae_params, lr=settings.lr, betas=tuple(settings.adam_betas), fused=fused)
    kernel_lr = settings.lr * kernel_settings.lr_ratio
    if kernel_settings.kernel_optimizer == "sgd":
        kernel_optimizer = torch.optim.SGD(kernel.parameters(), lr=kernel_lr)
    else:
        kernel_optimizer = torch.optim.Adam(
            kernel.parameters(), lr=kernel_lr, betas=kernel_settings.adam_betas, fused=fused
        )
    generators = [torch_generator(s, "train/kernel-features") for s in seeds]
    networks = (encoder, decoder, kernel, objective, optimizer, kernel_optimizer)
    return LearnedKernelStep(*networks, settings.latent_dim, generators, autocast_dtype, seeds=tuple(seeds))
