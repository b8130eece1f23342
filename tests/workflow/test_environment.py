"""The jobs' software and entry points: the conda environment of every rule
pins what requirements.txt pins, and each rule runs its own executable
script, workflow/scripts/<rule>.py."""

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
    for path in sorted((REPO / "workflow/rules").glob("*.smk")):
        text = path.read_text()
        for match in re.finditer(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", text, re.M | re.S):
            body = match.group(2)
            if re.findall(r"^    (\w+):", body, re.M) == ["input"]:
                continue  # a data set's target rule (snakemake grid): inputs only, no job of its own
            shell = re.search(r'shell:\s*\n\s*"(\S+)', body)
            yield match.group(1), shell.group(1) if shell else None


def test_every_rule_runs_its_own_executable_script():
    rules = dict(rules_and_commands())
    assert len(rules) >= 18
    for rule, command in rules.items():
        assert command == f"{rule}.py", f"rule {rule} runs {command}"
        script = REPO / "workflow/scripts" / command
        assert script.is_file() and os.access(script, os.X_OK), f"{script} is missing or not executable"
        assert script.read_text().startswith("#!/usr/bin/env python3\n")
