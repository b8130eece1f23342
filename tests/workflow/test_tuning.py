"""The tuning rule at the quick preset's size, on a constructed case: of two
settings of the Coulomb GAN's generator lr, one (1e-9) cannot learn in the
budget; the rule picks the other, writes it to a config file that reads back
exactly, and the tables' notes name it when that file is used."""

import subprocess

import pandas as pd
import pytest
import yaml

from couae.grid import settings as GS
from couae.report import text
from helpers import REPO, load_config, snakemake_command

pytestmark = pytest.mark.workflow

CASE = """
grid:
  rows: [coulombgan]
  variants_run: [narrow]
  widths: [1.0]
  tuning:
    iterations: 300
    seeds: [0, 1]
    rows:
      coulombgan:
        model_params.generator_lr: [1.0e-9, 1.0e-3]
        kernel_params.eps: [0.3]
"""


def test_the_tuning_rule_picks_the_better_of_two_settings(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text(CASE)
    cmd = snakemake_command(tmp_path, "tune", "--configfile", REPO / "presets/quick.yaml", case)
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    table = pd.read_csv(tmp_path / "results/tables/tuning.csv")
    assert len(table) == 2 and table.chosen.sum() == 1
    chosen = table[table.chosen].iloc[0]
    assert "generator_lr = 0.001" in chosen.settings and chosen.score > table[~table.chosen].score.iloc[0]
    assert table.std_narrow.notna().all() and (table.std_narrow >= 0).all()  # each candidate's spread over seeds
    tuned = yaml.safe_load((tmp_path / "results/tuning/tuned.yaml").read_text())
    gan = tuned["grid"]["experiments"]["coulombgan"]
    assert gan == {"model_params": {"generator_lr": 1.0e-3}, "kernel_params": {"eps": 0.3}}  # read back exactly
    # the tuned file runs the row like any other, and the notes say how it was chosen
    config = load_config(yaml.safe_load((REPO / "presets/quick.yaml").read_text()), yaml.safe_load(CASE), tuned)
    assert GS.grid_training_settings(config, "narrow", "coulombgan", 1.0).model_params["generator_lr"] == 1.0e-3
    assert any("grid coulombgan: tuned, " in note for note in text.table_notes(config))


def test_the_paper_rows_are_never_tuned():
    from couae import config as C
    from couae.parameters import ConfigError

    with pytest.raises(ConfigError, match=r"grid\.tuning\.rows\.couae: couae plays the paper's CouAE column"):
        C.check_config(load_config({"grid": {"tuning": {"rows": {"couae": {"kernel_params.eps": [0.1]}}}}}))
    with pytest.raises(ConfigError, match=r"grid\.tuning\.rows\.coulombgan: candidate 0"):
        C.check_config(load_config({"grid": {"tuning": {"rows": {"coulombgan": {"model_params.nosuch": [1]}}}}}))
