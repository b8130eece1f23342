"""Lists in the docs that name the code's parts are checked against the code: the registries' kernels
and model types, the rules, the training jobs' log paths (a new kernel or rule that the docs do not name
fails here, not in a reader's hands)."""

import re

from couae import kernels, models
from helpers import REPO


def test_the_configuration_page_lists_every_kernel_and_model_type():
    text = (REPO / "docs/configuration.md").read_text()
    kernel_line = re.search(r"a kernel of couae/kernels/ \(([^)]*)\)", text).group(1)
    model_line = re.search(r"a model type of couae/models/ \(([^)]*)\)", text).group(1)
    assert sorted(kernel_line.split(", ")) == sorted(kernels.names())
    assert sorted(model_line.split(", ")) == sorted(models.names())


def test_the_code_map_names_every_rule():
    rules = set()
    for path in (REPO / "workflow/rules").glob("*.smk"):
        text = path.read_text()
        rules |= set(re.findall(r"^\s*rule (\w+):", text, re.M))
        rules |= {f"{base}_<" for base in re.findall(r'name:\s*\n\s*f"(\w+?)_\{', text)}  # a loop's rules
    code_map = (REPO / "docs/code-map.md").read_text()
    assert [r for r in sorted(rules) if r.rstrip("<") not in code_map] == []


def test_the_readmes_log_paths_are_the_rules():
    readme = (REPO / "README.md").read_text()
    grid = (REPO / "workflow/rules/grid.smk").read_text()
    train_log = re.search(r'"(logs/grid/\{variant\}/train/[^"]+)"', grid).group(1)
    shown = re.sub(r"\{(\w+)\}", lambda m: {"variant": "<variant>", "experiment": "<experiment>",
                                           "width": "<w>", "block": "<b>"}[m.group(1)], train_log)  # fmt: skip
    assert shown in readme
    from couae import datasets

    pack_log = datasets.get("grid").PACK_LOG.replace("{pack}", "<model type>_block<b>")
    assert pack_log in readme
