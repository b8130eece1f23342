"""The MMD autoencoder with KernelNet's learned kernel (Zhou, Chen, Xu): an
adversarially trained kernel. The autoencoder descends recon + lambda MMD^2
while the kernel's own networks ascend MMD^2 - alpha Omega. Settings and
sources: `../shared/notes/related-models.md`, section 2; the kernel and its
step are `couae.core.learned_kernel`."""

from __future__ import annotations

from . import ModelType, Parameter

COUNT = {"type": "integer", "minimum": 1}
BETA = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}
BETAS = {"type": "array", "items": BETA, "minItems": 2, "maxItems": 2}


# KernelNet's own settings for its kernel (Zhou, Chen, Xu, section 4.1; ../shared/notes/related-models.md,
# section 2.2), per variant: what a row of this type is measured against in its notes.
KERNELNET = {
    "Rep-GAN-DK": {"kernel_steps": 1, "lr_ratio": 0.5, "adam_betas": (0.5, 0.999), "alpha": 0.01},
    "MMD-GAN": {"kernel_steps": 5, "lr_ratio": 0.01, "adam_betas": (0.5, 0.9), "alpha": 5.0},
}


class LearnedKernelAutoencoder(ModelType):
    name = "learnedkernel"
    summary = "MMD autoencoder whose kernel (KernelNet's random-feature kernel) is trained to maximise the MMD"
    pair_matrices = 2  # the MMD's code-code and code-prior pairs at least (the pair-dependent part holds more)
    parameters = {
        "features": Parameter(COUNT, "random features w = g(e) of the data-independent part (KernelNet's VAE: 512)"),
        "hidden": Parameter(COUNT, "units per hidden layer of the kernel's networks (KernelNet: 16)"),
        "n_hidden": Parameter({"type": "integer", "minimum": 0}, "hidden layers (KernelNet's '3-layer MLP': 2)"),
        "data_dependent": Parameter({"type": "boolean"}, "add KernelNet's pair-dependent part (DK); off: IKL"),
        "pair_features": Parameter(COUNT, "random features of the pair-dependent part"),
        "jacobian_pairs": Parameter(COUNT, "pairs for Omega's Jacobian term (autograd)"),
        "alpha": Parameter({"type": "number", "minimum": 0}, "weight of Omega in the kernel's objective (eq. 9)"),
        "lr_ratio": Parameter({"type": "number", "exclusiveMinimum": 0}, "kernel lr / autoencoder lr"),
        "kernel_optimizer": Parameter(
            {"enum": ["adam", "sgd"]},
            "the kernel's optimiser: Adam with adam_betas, or plain SGD (lr x lr_ratio either way)",
        ),
        "adam_betas": Parameter(BETAS, "the kernel's Adam betas (KernelNet's MMD-GAN: 0.5, 0.9)"),
        "normalise": Parameter({"type": "boolean"}, "with both parts, halve their sum so k(z, z) is about 1"),
        "gram_check_points": Parameter(COUNT, "codes + prior draws whose Gram matrix's smallest eigenvalue is logged"),
        "omega_ceiling": Parameter(
            {"type": ["number", "null"], "minimum": 0},
            "null: alpha Omega (KernelNet); c: alpha max(0, Omega - c), a penalty only beyond c (of order h)",
        ),
        "omega_floor": Parameter(
            {"type": ["number", "null"], "minimum": 0},
            "null: none; f (with a ceiling c >= f): adds alpha max(0, f - Omega), so Omega stays in [f, c]",
        ),
        "spectral_init": Parameter(
            {"enum": ["pytorch", "unit"]}, "unit: g's output scaled so that E|w|^2 = h at the start (unit bandwidth)"
        ),
        "kernel_steps": Parameter(
            COUNT, "the kernel's (and critic's) ascent steps per autoencoder step (KernelNet: 5)"
        ),
        "critic_features": Parameter(
            {"type": "integer", "minimum": 0},
            "0: the kernel acts on the codes; n: on KernelNet's critic h(z) in R^n (spectrally normalised MLP)",
        ),
        "critic_hidden": Parameter(COUNT, "units per hidden layer of the critic"),
        "critic_n_hidden": Parameter({"type": "integer", "minimum": 0}, "hidden layers of the critic"),
    }
    uses_lambda = True
    takes_pretraining = True

    def resolve(self, params, training):
        floor, ceiling = params["omega_floor"], params["omega_ceiling"]
        if floor is not None and (ceiling is None or floor > ceiling):
            raise ValueError(
                f"omega_floor ({floor}) needs an omega_ceiling at or above it (got {ceiling}): the floor bounds"
                " a band [floor, ceiling] on Omega, and KernelNet's plain alpha Omega has none"
            )
        return params

    def theorem2_failure(self, settings) -> str | None:
        return "learned kernel, fitted to the training codes (the theorem needs a kernel fixed before the data)"

    def note(self, params, data_weight: float) -> str:
        """What the row is, and where it departs from KernelNet: the kernel's parts, the Omega band and the
        critic (not in KernelNet's autoencoder), and each optimiser setting against the KernelNet variant whose
        settings it is closest to."""
        said = [
            "KernelNet's kernel with its data-dependent part (DK)"
            if params["data_dependent"]
            else "the data-independent part alone: IKL (Li et al. 2019), KernelNet's baseline, not KernelNet"
        ]
        floor, ceiling = params["omega_floor"], params["omega_ceiling"]
        if ceiling is not None:
            where = f"outside [{floor:g}, {ceiling:g}]" if floor is not None else f"above {ceiling:g}"
            said.append(f"Omega penalised only {where} (not in KernelNet: alpha Omega)")
        if params["critic_features"]:
            said.append(f"on a {params['critic_features']}-feature critic (KernelNet's GANs' critic; its autoencoder "
                        "has none)")  # fmt: skip
        if params["spectral_init"] != "pytorch":
            said.append("g scaled to unit bandwidth at the start (not KernelNet's)")
        ours = {key: tuple(params[key]) if key == "adam_betas" else params[key] for key in KERNELNET["MMD-GAN"]}
        name, theirs = min(KERNELNET.items(), key=lambda kv: sum(ours[k] != v for k, v in kv[1].items()))
        off = [
            f"{key} {_value(ours[key])} ({name}: {_value(value)})"
            for key, value in theirs.items()
            if ours[key] != value
        ]
        if params["kernel_optimizer"] != "adam":
            off.append(f"kernel optimiser {params['kernel_optimizer']} (KernelNet: Adam)")
        said.append(f"{name}'s optimiser settings" + (f" but {', '.join(off)}" if off else ""))
        return "; ".join(said)

    def caveats(self, diagnostics: dict) -> list[str]:
        from ..caveats import BLIND_KERNEL
        from ..core.learned_kernel import BLIND_MMD2

        sensitivity = diagnostics.get("kernel_sensitivity")  # absent in weights made before the check existed
        return [BLIND_KERNEL] if sensitivity is not None and sensitivity < BLIND_MMD2 else []

    def build_step(self, networks):
        from ..core.learned_kernel import build_learned_step

        s = networks.settings
        encoder, decoder = networks.autoencoder(self.encoder_outputs(s.latent_dim))
        return build_learned_step(
            encoder, decoder, s, networks.seeds, networks.device, networks.autocast, fused=networks.fused
        )


def _value(value) -> str:
    return f"({', '.join(f'{v:g}' for v in value)})" if isinstance(value, tuple | list) else f"{value:g}"
