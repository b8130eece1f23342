"""Job arguments of any length: long values go through a file of arguments
that the scripts' parsers read back (couae.runtime.arguments)."""

import argparse
import json
import shlex
import subprocess
import sys

import pandas as pd
import pytest

from couae.runtime.arguments import ARGUMENT_FOLDER, COMMAND_LIMIT, FROM_FILE, INLINE_LIMIT, on_command_line
from helpers import REPO


def parser():
    p = argparse.ArgumentParser(fromfile_prefix_chars=FROM_FILE)
    p.add_argument("--settings", required=True)
    p.add_argument("--files", nargs="+", required=True)
    return p


def test_the_limit_is_linuxs_for_the_one_argument_snakemake_gives_the_shell():
    if not sys.platform.startswith("linux"):
        pytest.skip("MAX_ARG_STRLEN is Linux's")
    comment = "true #"
    assert subprocess.run(["bash", "-c", comment + "x" * (COMMAND_LIMIT - 1 - len(comment))]).returncode == 0
    with pytest.raises(OSError, match="Argument list too long"):
        subprocess.run(["bash", "-c", comment + "x" * (COMMAND_LIMIT - len(comment))])


def test_short_values_stay_on_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings, files = json.dumps({"seeds": list(range(10))}), ["a.csv", "b.csv"]
    assert on_command_line(settings) == settings and on_command_line(files) == files
    assert not ARGUMENT_FOLDER.exists()


def test_long_values_go_through_a_file_named_by_their_content_and_parse_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = json.dumps({"seeds": list(range(30_000)), "title": "a 'quoted' title with spaces"})
    files = [f"results/grid/cited/eval/couae/width1/block{b}.csv" for b in range(3_000)]
    assert len(settings) > COMMAND_LIMIT and sum(map(len, files)) > COMMAND_LIMIT
    via_settings, via_files = on_command_line(settings), on_command_line(files)
    for via in (via_settings, via_files):
        assert via.startswith(f"{FROM_FILE}{ARGUMENT_FOLDER}/") and len(via) < 200  # relative: a moved copy is the same
    args = parser().parse_args(shlex.split(f"--settings {shlex.quote(via_settings)} --files {via_files}"))
    assert args.settings == settings and args.files == files
    assert on_command_line(settings) == via_settings  # the same value, the same file (one written)
    changed = on_command_line(settings.replace("title", "titles"))
    assert changed != via_settings  # a changed value is a changed parameter for Snakemake's re-run triggers
    assert len(list(ARGUMENT_FOLDER.iterdir())) == 3


def test_a_damaged_argument_file_is_written_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = [f"f{k:06d}.csv" for k in range(INLINE_LIMIT)]
    via = on_command_line(files)
    (tmp_path / via[1:]).write_text("f000000.csv\n")  # truncated, by hand or a full disk
    assert on_command_line(files) == via
    assert parser().parse_args(["--settings", "{}", "--files", via]).files == files


def test_values_a_file_cannot_carry_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="line break"):
        on_command_line(["x" * INLINE_LIMIT, "two\nlines"])
    with pytest.raises(ValueError, match="read as a file of arguments"):
        on_command_line(["x" * INLINE_LIMIT, "@elsewhere"])


def test_a_job_script_reads_a_file_list_longer_than_a_command_line(tmp_path, monkeypatch):
    """benchmark_summary.py over 3,000 benchmark files, started as Snakemake starts a job (bash -c)."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "results/benchmarks/grid_evaluate"
    folder.mkdir(parents=True)
    paths = []
    for k in range(3_000):
        path = folder / f"cited_couae_width1_block{k}.tsv"
        path.write_text(f"s\tmax_rss\n{k}.5\t{k}\n")
        paths.append(str(path.relative_to(tmp_path)))
    inline = " ".join(paths)
    assert len(inline) > COMMAND_LIMIT  # what the rule passed before
    script = REPO / "workflow/scripts/benchmark_summary.py"
    command = f"{sys.executable} {script} --benchmarks {on_command_line(paths)} --out summary.csv"
    subprocess.run(["bash", "-c", command], check=True)
    table = pd.read_csv(tmp_path / "summary.csv")
    assert list(table.job) == [f"cited_couae_width1_block{k}" for k in range(3_000)]
    assert (table.s == table.max_rss + 0.5).all()
