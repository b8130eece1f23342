"""Kernels for the MMD regulariser, one module each, registered by name.

A kernel is a function of the squared distance between two codes, evaluated
elementwise on a tensor of squared distances, so one definition serves any
batch shape (seeds x n x m). Each kernel module defines one `Kernel`
subclass that carries everything the pipeline asks of it:

- `name` (what the config calls it) and `summary` (the one-line description
  captions and notes use);
- its parameters, declared as `parameter(...)` fields with a JSON schema and
  a meaning (checked before any job runs; errors name the config key);
- `value_and_slope`: the value and the slope dk/d(d^2) in closed form, which
  the MMD estimator's backward pass uses (`couae.core.mmd`);
- `theorem2_bound`: Theorem 2's K = k(z, z) where the kernel is bounded and
  non-negative, or why it is not (and `theorem2_note`, how K is found);
- `theorem1_role`: what Theorem 1 says of its flows ("reaches": every local
  minimum is global; "can_stall": flows may end at spurious minima; None: the
  paper says nothing);
- `remark`: what a reader must know of it with these parameters (captions
  and notes say it), "" where nothing;
- `bind`: for a kernel set from each batch (`data_dependent`, such as WAE's
  median-heuristic RBF), the kernel of this batch; the MMD estimators call it.

Kernel modules import no heavy library: they use tensor methods only, so
that the Snakefile can ask the registry without importing torch. A new
kernel is one new module here and one config entry (docs/extending.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .. import parameters as P
from ..registry import Registry

REGISTRY = Registry("kernel", __name__)

# Squared distances below this count as coincident points.
MIN_SQ_DIST = 1e-30

# What Theorem 1 says of a kernel's particle flows
REACHES = "reaches"  # every local minimum of the MMD term is global (the theorem's kernel)
CAN_STALL = "can_stall"  # flows may end at spurious local minima (the paper's Gaussian and IMQ)

parameter = P.parameter


@dataclass(frozen=True, kw_only=True)
class Kernel:
    """Base of every kernel: `latent_dim` and the declared parameters."""

    name: ClassVar[str]
    summary: ClassVar[str]
    theorem2_note: ClassVar[str] = ""  # how K is found, for the Theorem 2 notes ("" where no bound exists)
    data_dependent: ClassVar[bool] = False  # set from each batch's points (`bind`): not a kernel fixed before the data

    latent_dim: int

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY.add(cls)

    @classmethod
    def parameters(cls) -> dict[str, P.Parameter]:
        return P.declared(cls)

    def value_and_slope(self, sq_dist):
        """(k, dk/d(d^2)) at the squared distances `sq_dist`."""
        raise NotImplementedError

    def __call__(self, sq_dist):
        return self.value_and_slope(sq_dist)[0]

    def theorem2_bound(self) -> tuple[float | None, str]:
        """(K, "") where 0 <= k <= K = k(z, z), as Theorem 2 assumes; (None, why not) otherwise."""
        return None, f"no bound known for the {self.name} kernel"

    @classmethod
    def theorem1_role(cls, params) -> str | None:
        """What Theorem 1 says of flows under this kernel with `params` (REACHES, CAN_STALL or None)."""
        return None

    def remark(self) -> str:
        """What a reader must know of this kernel with these parameters ("" where nothing)."""
        return ""

    def bind(self, x, y) -> Kernel:
        """The kernel for the samples x (..., n, h) and y (..., m, h) of one
        estimate: itself, unless it is set from the data (`data_dependent`)."""
        return self


def kernel_class(name: str, key: str | None = None) -> type[Kernel]:
    """The kernel called `name`; `key` is the config key that named it (for the error)."""
    cls = REGISTRY.get(name, key)
    if "__dataclass_fields__" not in cls.__dict__:  # its parameter() fields would be class attributes, not fields
        raise TypeError(
            f"kernel {name!r}: its class {cls.__module__}.{cls.__qualname__} is not decorated with "
            "@dataclass(frozen=True, kw_only=True), so its parameters are not fields (docs/extending.md)"
        )
    return cls


def names() -> list[str]:
    return REGISTRY.names()


def _frozen(value):
    """Lists as tuples (a kernel is immutable), their whole numbers as floats."""
    if isinstance(value, list | tuple):
        return tuple(float(v) if type(v) is int else _frozen(v) for v in value)
    return value


def check_params(name: str, params, key: str, complete: bool = True) -> None:
    """ConfigError naming `key` where `params` are not the kernel's parameters."""
    P.check(params, kernel_class(name, key).parameters(), key, complete)


def resolve_params(name: str, *layers, key: str) -> dict:
    """The kernel's defaults, then each layer of config over them, checked complete."""
    return P.resolve(kernel_class(name, key).parameters(), *layers, key=key)


def make_kernel(name: str, latent_dim: int, **params) -> Kernel:
    """A kernel by its config name with every parameter given (they come
    from the config: defaults are filled where they are resolved)."""
    cls = kernel_class(name)
    declared = cls.parameters()
    missing = {k for k, p in declared.items() if p.required} - set(params)
    if missing or set(params) - set(declared):
        raise ValueError(f"kernel {name!r} takes the parameters {sorted(declared)}, got {sorted(params)}")
    return cls(latent_dim=latent_dim, **{k: _frozen(v) for k, v in params.items()})
