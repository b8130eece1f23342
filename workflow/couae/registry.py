"""Registries of the package's components: kernels, model types and data sets.

Each component is one module in its registry's package (`couae.kernels`,
`couae.models`), or for a data set the `adapter` module of its own package
(`couae.grid.adapter`), defining one class with a `name`; the class
registers itself when its module is imported, and a registry imports every
module of its package the first time it is asked. So adding a kernel is
adding a file: nothing else lists the names. A name the config uses but no
module defines is an error naming the config key and the known names.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from .parameters import ConfigError


def _origin(item) -> tuple[str, str]:
    """Where a component is defined (a module imported twice registers the same one again)."""
    cls = item if isinstance(item, type) else type(item)
    return cls.__module__, cls.__qualname__


class Registry:
    """Name -> component for one kind (say "kernel"), filled from `package`."""

    def __init__(self, kind: str, package: str, module: str | None = None):
        """`package`: where the components' modules live. With `module`, that module of each of the
        package's sibling subpackages instead (a data set's adapter lives with its code, couae.grid.adapter:
        the registry's package holds the protocol only, and imports none of them by name)."""
        self.kind, self.package, self.module = kind, package, module
        self._items: dict = {}
        self._loaded = False

    def add(self, item) -> None:
        known = self._items.get(item.name)
        if known is not None and _origin(known) != _origin(item):
            raise ValueError(f"two {self.kind}s are called {item.name!r}: in {known.__module__} and {item.__module__}")
        self._items[item.name] = item

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.module is not None:
            # every folder beside the registry's package holding that module, with or without an __init__.py
            # (a data set that is one adapter module needs no package file)
            parent = importlib.import_module(self.package.rpartition(".")[0])
            for where in parent.__path__:
                for folder in sorted(Path(where).iterdir()):
                    if folder.name.isidentifier() and (folder / f"{self.module}.py").is_file():
                        importlib.import_module(f"{parent.__name__}.{folder.name}.{self.module}")
            return
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{self.package}.{module.name}")

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def items(self) -> dict:
        self._load()
        return {name: self._items[name] for name in sorted(self._items)}

    def get(self, name: str, key: str | None = None):
        """The component called `name`; `key` (the config key that named it)
        goes into the error when there is none."""
        self._load()
        try:
            return self._items[name]
        except KeyError:
            where = f"{key}: " if key else ""
            raise ConfigError(f"{where}unknown {self.kind} {name!r}; known: {', '.join(self.names())}") from None

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._items
