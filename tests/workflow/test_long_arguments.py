"""A config whose job settings and file lists pass Linux's limit for a command
line (20,000 seeds in one block, packed): every job's command stays short,
its long values in argument files the scripts read back."""

import json
import re
import subprocess

import pytest
import yaml

from couae.runtime.arguments import COMMAND_LIMIT, FROM_FILE
from helpers import REPO, snakemake_command

pytestmark = pytest.mark.workflow

SEEDS = 20_000


def test_every_command_of_a_20000_seed_block_starts(tmp_path):
    many = tmp_path / "many.yaml"
    many.write_text(yaml.safe_dump({"grid": {"training": {"seeds": list(range(SEEDS)), "seeds_per_job": SEEDS,
                                                          "pack": "all"}}}))  # fmt: skip
    quick = str(REPO / "presets/quick.yaml")
    cmd = snakemake_command(tmp_path, "-n", "-p", "--configfile", quick, str(many))
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    commands = [line for line in result.stdout.splitlines() if line.startswith("Shell command: ")]
    assert commands and max(map(len, commands)) < COMMAND_LIMIT // 8
    for script in ("grid_pack.py --name all_block0", "grid_evaluate.py", "paper_tables.py", "figure2.py"):
        assert any(c.startswith(f"Shell command: {script}") and f" {FROM_FILE}" in c for c in commands), script
    evaluate = next(c for c in commands if c.startswith("Shell command: grid_evaluate.py"))
    via = re.search(rf"--training-settings {FROM_FILE}(\S+)", evaluate).group(1)
    (settings,) = (tmp_path / via).read_text().splitlines()
    assert json.loads(settings)["seeds"] == list(range(SEEDS))
