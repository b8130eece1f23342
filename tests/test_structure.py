"""The library's structure: no import circles (counting imports inside
functions, which run late but still tie the modules together), between
modules or between packages, every
subpackage says what lives there, and no data set, kernel or model type is
named outside the modules that define and configure it."""

import ast
import re
from pathlib import Path

import pytest

from couae import datasets, kernels, models
from helpers import REPO

LIBRARY = REPO / "workflow" / "couae"


def module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in LIBRARY.rglob("*.py")}


def imported(name: str, path: Path) -> set[str]:
    """The package's own modules `name` imports, anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import mod` imports the submodule where one exists
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of `graph` (node -> the nodes it imports), each as a closed trail."""
    state, found = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(trail[trail.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def layer(module: str) -> str:
    """The package a module belongs to for the layering: couae.grid.model -> couae.grid (a top-level
    module, couae.config, is its own)."""
    return ".".join(module.split(".")[:2])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """`graph` with every module replaced by its package (`layer`), imports within a package left out."""
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        packages.setdefault(layer(module), set()).update(layer(t) for t in targets if layer(t) != layer(module))
    return packages


MODULE_GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def test_the_library_has_no_import_circles():
    found = circles(MODULE_GRAPH)
    assert found == [], "import circles: " + "; ".join(" -> ".join(c) for c in found)


def test_its_packages_form_layers():
    """Packages import one way only (core below models below the data sets below the report's
    users...): a circle of packages through different modules is a circle all the same."""
    found = circles(package_graph(MODULE_GRAPH))
    assert found == [], "package circles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_package_check_sees_a_circle_no_module_closes():
    """couae.a.x imports couae.b.y and couae.b.z imports couae.a.w: no module circle, one of packages."""
    graph = {"couae.a.x": {"couae.b.y"}, "couae.b.y": set(), "couae.b.z": {"couae.a.w"}, "couae.a.w": set()}
    assert circles(graph) == []
    assert circles(package_graph(graph)) == [["couae.a", "couae.b", "couae.a"]]


def test_the_cycle_detector_sees_a_lazy_import(tmp_path):
    """A circle through an import inside a function counts (the check above can fail)."""
    fake = tmp_path / "couae"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text("from . import b\n")
    (fake / "b.py").write_text("def f():\n    from .a import x\n")
    names = {"couae", "couae.a", "couae.b"}
    old = dict(MODULES)
    MODULES.clear()
    MODULES.update({n: fake / (n.split(".")[-1] + ".py") for n in names - {"couae"}}, couae=fake / "__init__.py")
    try:
        assert imported("couae.b", fake / "b.py") == {"couae.a"} and "couae.b" in imported("couae.a", fake / "a.py")
    finally:
        MODULES.clear()
        MODULES.update(old)


@pytest.mark.parametrize("package", sorted(p.parent.name for p in LIBRARY.glob("*/__init__.py")))
def test_every_subpackage_says_what_lives_there(package):
    doc = ast.get_docstring(ast.parse((LIBRARY / package / "__init__.py").read_text()))
    assert doc and len(doc) > 80, f"couae.{package} has no docstring saying what it holds"


def shared_files():
    """Files every data set, kernel and model type passes through: they must name none."""
    shared = [
        *(REPO / "workflow/rules").glob("common.smk"),
        REPO / "workflow/rules/report.smk",
        REPO / "workflow/rules/theory.smk",
        REPO / "Snakefile",
        *(LIBRARY / "report").glob("*.py"),
        *(LIBRARY / "theory").glob("*.py"),
        LIBRARY / "settings.py",
        LIBRARY / "config.py",
        *(LIBRARY / "core").glob("*.py"),
        REPO / "workflow/scripts/paper_tables.py",
        REPO / "workflow/scripts/claims.py",
        REPO / "workflow/scripts/theorem2.py",
    ]
    return shared


def test_shared_code_names_no_kernel_model_type_or_data_set():
    """Theorem 1 and 2, the tables, the claims and the captions ask the
    registries; a name in a string here is a list that a new component would miss."""
    names = set(kernels.names()) | set(models.names()) | set(datasets.names())
    offenders = []
    for path in shared_files():
        text = path.read_text()
        for name in names:
            for match in re.finditer(rf"[\"']{name}[\"']", text):
                line = text[: match.start()].count("\n") + 1
                if "method" in text.splitlines()[line - 1]:
                    continue  # a particle flow's method (theory.flows.rows: mmd or kale), not a model type
                offenders.append(f"{path.relative_to(REPO)}:{line}: {match.group(0)}")
    assert offenders == []
