"""The jobs' software and entry points: the conda environment of every rule
pins what requirements.txt pins, and each rule runs its own executable
script, workflow/scripts/<rule>.py (the points data sets' rules: the grid's)."""

import os
import re

import yaml

from helpers import REPO


def requirement_lines():
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_rule_conda_environment_pins_what_requirements_pin():
    env = yaml.safe_load((REPO / "workflow/envs/couae.yaml").read_text())
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert pip == requirement_lines()


def rules_and_commands():
    """(rule, the executable its shell runs) of every rule, also those defined
    under an `if` or in a loop (a pack's rule: `name: f"grid_pack_{...}"`, its
    script named for the part before the first placeholder)."""
    for path in sorted((REPO / "workflow/rules").glob("*.smk")):
        text = path.read_text()
        for match in re.finditer(r"^(\s*)rule(?: (\w+))?:\n(.*?)(?=^\s*rule[ :]|\Z)", text, re.M | re.S):
            indent, name, body = match.groups()
            if name is None:
                name = re.search(r'name:\s*\n\s*f"(\w+?)_\{', body).group(1)
            if re.findall(rf"^{indent}    (\w+):", body, re.M) == ["input"]:
                continue  # a data set's target rule (snakemake grid): inputs only, no job of its own
            shell = re.search(r'shell:\s*\n\s*"(\S+)', body)
            yield name, shell.group(1) if shell else None


# rules/points.smk: a points data set's jobs are the grid's, each the grid's script of that job
POINTS_SCRIPTS = {"points_data": "grid_data.py", "points_train": "grid_train.py",
                  "points_evaluate": "grid_evaluate.py", "points_reference": "grid_reference.py",
                  "points_figure": "figure2.py"}  # fmt: skip


def test_every_rule_runs_its_own_executable_script():
    rules = dict(rules_and_commands())
    assert len(rules) >= 18
    assert set(POINTS_SCRIPTS) <= set(rules)
    for rule, command in rules.items():
        assert command == POINTS_SCRIPTS.get(rule, f"{rule}.py"), f"rule {rule} runs {command}"
        script = REPO / "workflow/scripts" / command
        assert script.is_file() and os.access(script, os.X_OK), f"{script} is missing or not executable"
        assert script.read_text().startswith("#!/usr/bin/env python3\n")
