"""The profiles parse, name only rules that exist, and their executors are installed."""

import importlib
import re
import subprocess

import pytest
import yaml

from helpers import REPO, snakemake_command

PROFILES = ["default", "slurm", "cluster-generic"]


def rule_names() -> set[str]:
    names = set()
    for path in [REPO / "Snakefile", *sorted((REPO / "workflow/rules").glob("*.smk"))]:
        names |= set(re.findall(r"^rule (\w+):", path.read_text(), re.M))
    return names


@pytest.mark.parametrize("name", PROFILES)
def test_profile_names_existing_rules(name):
    profile = yaml.safe_load((REPO / "profiles" / name / "config.yaml").read_text())
    unknown = set(profile.get("set-resources", {})) - rule_names()
    assert not unknown, f"profiles/{name} sets resources of unknown rules: {unknown}"


@pytest.mark.parametrize(
    "name,module",
    [("slurm", "snakemake_executor_plugin_slurm"), ("cluster-generic", "snakemake_executor_plugin_cluster_generic")],
)
def test_profile_executor_is_installed(name, module):
    profile = yaml.safe_load((REPO / "profiles" / name / "config.yaml").read_text())
    assert profile["executor"] == name
    importlib.import_module(module)


def test_default_profile_is_applied(tmp_path):
    # printshellcmds from profiles/default shows the shell command in a dry run
    result = subprocess.run(
        snakemake_command(
            tmp_path, "-n", "results/grid/narrow/data.npz", "--configfile", REPO / "presets/quick.yaml", cores=1
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "grid_data.py --settings" in result.stdout
