"""Declared parameters of a component (a kernel, a model type) and their
checks, with errors that name the config key.

A component declares each of its config parameters with a JSON-schema
fragment and a one-line meaning; values are resolved from the component's
defaults, then the data set's section of the config, then the experiment's
own overrides, and checked with `jsonschema` (Snakemake's own validator)
against an object schema assembled from the declarations: unknown keys,
missing ones and bad values stop the run, naming `grid.kernels.coulomb.eps`
or whichever key it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import jsonschema


class ConfigError(ValueError):
    """A config problem the schema cannot express; the message names the key."""


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT = _NoDefault()  # the config must give the parameter


@dataclass(frozen=True)
class Parameter:
    """One config parameter: its JSON schema, what it means, and its default
    (NO_DEFAULT: the config must give it)."""

    schema: Mapping
    doc: str
    default: object = NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


def parameter(schema: Mapping, doc: str, default=NO_DEFAULT):
    """A dataclass field that is a declared parameter (see `declared`)."""
    if default is NO_DEFAULT:
        return dataclasses.field(metadata={"parameter": Parameter(schema, doc)})
    return dataclasses.field(default=default, metadata={"parameter": Parameter(schema, doc, default)})


def declared(cls) -> dict[str, Parameter]:
    """The parameters a dataclass declares with `parameter` fields, in order."""
    return {f.name: f.metadata["parameter"] for f in dataclasses.fields(cls) if "parameter" in f.metadata}


def object_schema(parameters: Mapping[str, Parameter], complete: bool) -> dict:
    """The JSON schema of a parameters object; `complete`: every parameter
    without a default is required (resolved values), else none is (overrides)."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: dict(p.schema) for name, p in parameters.items()},
    }
    if complete:
        schema["required"] = [name for name, p in parameters.items() if p.required]
    return schema


def plain(value):
    """A JSON-ready copy: tuples become lists (a schema's arrays), mappings plain dicts."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def _where(key: str, error: jsonschema.ValidationError) -> str:
    return ".".join([key, *map(str, error.absolute_path)])


def check(values, parameters: Mapping[str, Parameter], key: str, complete: bool = True) -> None:
    """Raise ConfigError naming `key` (and the parameter) where `values` break
    the declarations: an unknown or missing parameter, a wrong type or range."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"{key}: expected a mapping of parameters, got {values!r}")
    validator = jsonschema.Draft202012Validator(object_schema(parameters, complete))
    errors = sorted(validator.iter_errors(plain(values)), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        known = ", ".join(parameters) or "none"
        raise ConfigError(f"{_where(key, errors[0])}: {errors[0].message} (parameters: {known})")


def resolve(parameters: Mapping[str, Parameter], *layers: Mapping, key: str) -> dict:
    """Defaults, then each layer over the last (the data set's section, the
    experiment's overrides), checked complete; `key` names the last layer."""
    values = {name: plain(p.default) for name, p in parameters.items() if not p.required}
    for layer in layers:
        values.update(plain(layer or {}))
    check(values, parameters, key)
    return values


def describe(parameters: Mapping[str, Parameter]) -> list[str]:
    """'name: meaning (default ...)' per parameter, for documentation and errors."""
    lines = []
    for name, p in parameters.items():
        lines.append(f"{name}: {p.doc}" + ("" if p.required else f" (default {p.default!r})"))
    return lines
