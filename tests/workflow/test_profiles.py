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
        names |= set(re.findall(r"^\s*rule (\w+):", path.read_text(), re.M))  # also rules defined under an if
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


def test_default_profile_shows_a_failed_jobs_reason_on_the_console(tmp_path):
    """show-failed-logs from profiles/default: the reason is on the console, not only in a log file."""
    folder = tmp_path / "img"
    folder.mkdir()
    partition = tmp_path / "p.txt"
    partition.write_text("000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n")  # images the folder lacks
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        f"celeba:\n  data:\n    kind: celeba\n    sources: [folder]\n    folder: {folder}\n"
        f"    partition: {partition}\n    md5: {{partition: null}}\n"
    )
    result = subprocess.run(
        snakemake_command(
            tmp_path, "results/celeba/data/meta.json", "--configfile", REPO / "presets/quick.yaml", mine, cores=1
        ),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "lacks 3 of the 3 images the partition file lists" in result.stdout + result.stderr
