"""Model types, one module each, registered by name: what an experiment's
`model:` names.

A model type module defines one `ModelType` subclass that says what the
pipeline asks of it:

- `name` and `summary`; its own parameters (`parameters`, with JSON schemas:
  defaults in the data set's `models.<name>` section of the config, overrides
  in an experiment's `model_params`);
- which experiment keys it takes (`uses_kernel`: a fixed kernel from
  `couae.kernels`; `uses_lambda`: the MMD weight);
- whether it reconstructs (an encoder: xi, Figure 4, Theorem 2's
  reconstruction term; a model that does not is a generator and a
  discriminator), and what its encoder outputs (`encoder_outputs`,
  `encode_mean`);
- whether Theorem 2 applies to it, and why not (`theorem2_failure`);
- `build_step(networks)`: its update step (`couae.core.training.UpdateStep`)
  from the networks a data set builds for it (`Networks`), the same code for
  the grid's MLPs and CelebA's convolutional networks.

Spec modules import nothing heavy: the Snakefile reads them. Their
implementations (`couae.core`) are imported inside `build_step`. A new model
type is about three files: its spec here, its step in `couae.core`, its test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Protocol

from .. import parameters as P
from ..registry import Registry

REGISTRY = Registry("model type", __name__)
Parameter = P.Parameter


class Networks(Protocol):
    """What a data set builds for a model type's step (`grid.model`, `celeba.model`)."""

    settings: object  # the job's TrainingSettings
    seeds: list[int]
    device: object
    data_dim: int  # values per data point: what a GAN's potential sees
    autocast: object  # torch dtype of the networks' autocast, or None
    fused: bool  # fused Adam (one kernel for all parameters)

    def autoencoder(self, encoder_outputs: int) -> tuple: ...

    def length_scale(self, kind: str) -> float:
        """The data's length scale of this kind: "spacing" (between neighbouring
        modes) or "std" (of one mode); 1 for images in [-1, 1]."""
        ...

    def generator_and_discriminator(
        self, latent_dim: int, discriminator_width: float, discriminator_hidden: int | None, activation: str
    ) -> tuple: ...

    def adam(self, params, lr: float, betas) -> object: ...

    def input_noise(self) -> tuple[float, list]:
        """(std, one generator per seed) of noise on the encoder's input; (0, []) when off."""
        ...


class ModelType:
    """Base of every model type (one instance each, registered by name)."""

    name: ClassVar[str]
    summary: ClassVar[str]
    parameters: ClassVar[dict[str, P.Parameter]] = {}
    uses_kernel: ClassVar[bool] = False
    takes_batch_kernel: ClassVar[bool] = False  # a kernel set from each batch (Kernel.data_dependent) will do
    uses_lambda: ClassVar[bool] = False
    # batch x batch matrices a step holds per seed at least (couae.runtime.memory's lower bound)
    pair_matrices: ClassVar[int] = 0
    reconstructs: ClassVar[bool] = True  # False: a generator and a discriminator, no encoder
    # WAE's CelebA options: noise on the encoder's input and the encoder's pre-training
    takes_encoder_noise: ClassVar[bool] = False
    takes_pretraining: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY.add(cls())

    def resolve(self, params: dict, training: Mapping) -> dict:
        """Resolved parameters with derived defaults filled (say, a lr that
        defaults to the training lr); `training` is the data set's training section."""
        return params

    def note(self, params, data_weight: float) -> str:
        """What the notes and captions say of a row of this type with these
        parameters ("" where nothing); `data_weight`: the data set's reconstruction weight."""
        return ""

    def data_scales(self, params) -> tuple[str, ...]:
        """The data's length scales (`Networks.length_scale` kinds) its step reads
        with these parameters: runs on data of other scales cannot share a step."""
        return ()

    def generator_latent(self, settings) -> int:
        """The dimension of the prior draws its decoder (or generator) maps to data."""
        return settings.latent_dim

    def encoder_outputs(self, latent_dim: int) -> int:
        return latent_dim

    def encode_mean(self, encoder_out):
        """The deterministic code of the encoder's output."""
        return encoder_out

    def theorem2_failure(self, settings) -> str | None:
        """Why Theorem 2 does not apply to a model of this type at all (None: it may)."""
        return f"{self.name} objective, not eq. (2)"

    def caveats(self, diagnostics: dict) -> list[str]:
        """The caveats a trained seed's values carry, from what its step measured
        of itself at the end (`diagnostics()` of the step, saved with its weights)."""
        return []

    def build_step(self, networks: Networks):
        raise NotImplementedError


def model_type(name: str, key: str | None = None) -> ModelType:
    """The model type called `name`; `key` is the config key that named it (for the error)."""
    return REGISTRY.get(name, key)


def names() -> list[str]:
    return REGISTRY.names()
