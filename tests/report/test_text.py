"""Titles, notes and captions: made from the resolved config, valid
reStructuredText, and worded with the one caveat vocabulary."""

import re

import pytest
from docutils.core import publish_parts

from couae import caveats, datasets
from couae.report import text
from helpers import REPO, load_config, quick_config


def rst_problems(source: str) -> str:
    """What docutils reports about `source` (empty: clean)."""
    import io

    stream = io.StringIO()
    publish_parts(source, writer="html", settings_overrides={"warning_stream": stream, "report_level": 1})
    return stream.getvalue()


@pytest.mark.parametrize("config", [load_config(), quick_config()], ids=["paper", "quick"])
@pytest.mark.parametrize("item", sorted(text.CAPTIONS))
def test_every_caption_is_clean_restructured_text(config, item):
    caption = text.caption(item, config)
    assert len(caption) > 80
    assert rst_problems(caption) == ""


def test_captions_take_their_numbers_from_the_config():
    changed = load_config(
        {
            "grid": {
                "training": {"iterations": 1234},
                "evaluation": {"bandwidths": {"num": 7}, "selection": "validation"},
            },
            "theory": {"theorem1": {"tolerance": 0.05}},
        }
    )
    tables = text.caption("tables", changed)
    assert "1234 training iterations" in tables and "logspace(-3, 1.5, 7)" in tables and "the validation set" in tables
    assert "logspace(-3, 1.5, 10) by 5-fold CV on the generated samples" in text.caption("tables", load_config())
    assert "within 0.05 of a distinct sample" in text.caption("theorem1", changed)


def test_every_report_entry_has_a_caption_param_of_a_known_item():
    """Each rule whose outputs go to the report passes its caption in params
    (rendered by workflow/report/caption.rst); no caption text lives in the rules."""
    assert (REPO / "workflow/report/caption.rst").read_text().strip() == "{{ snakemake.params.caption }}"
    found, per_points_set = set(), set()
    for path in (REPO / "workflow/rules").glob("*.smk"):
        for rule in re.split(r"^rule ", path.read_text(), flags=re.M)[1:]:
            if "report(" in rule:
                named = re.search(r'caption=T\.caption\("(\w+)", config\)', rule)
                if named:
                    found.add(named.group(1))
                else:  # rules/points.smk: an item per points data set, <name>_<suffix> (tests/grid/test_points.py)
                    suffix = re.search(r'caption=lambda w: T\.caption\(f"\{w\.pointset\}_(\w+)", config\)', rule)
                    per_points_set.add(suffix.group(1))
    own = {item for d in datasets.in_config(load_config()) for item in d.captions(load_config())}
    assert found == set(text.CAPTIONS) | own and not own & set(text.CAPTIONS)
    assert per_points_set == {"samples"}


def test_shortened_runs_are_noted_in_one_wording():
    notes = text.table_notes(quick_config())
    assert caveats.shortened_run("grid", 400, 3_000_000) in notes
    assert caveats.shortened_run("grid", 400, 3_000_000).startswith("SHORTENED RUN: 400 of the paper's 3000000 grid")
    assert caveats.shortened_run("celeba", 100, 100_000) in notes
    assert caveats.STANDIN_NOTE in notes and caveats.TEST_ONLY_NOTE in notes
    paper_notes = text.table_notes(load_config())
    assert not any("SHORTENED" in n or "STAND-IN" in n for n in paper_notes)


def test_caveat_cells_join_and_split():
    marks = caveats.celeba_marks({"standin": True}, test_only=True, few_images=False)
    assert marks == [caveats.STANDIN, caveats.TEST_ONLY_FEATURES]
    cell = caveats.join(marks)
    assert caveats.split(cell) == marks and caveats.split("") == [] and caveats.split(float("nan")) == []
    assert caveats.join_distinct([cell, caveats.FEW_IMAGES, cell]) == caveats.join([*marks, caveats.FEW_IMAGES])
    assert caveats.shown(cell) == "STAND-IN DATA, NOT CELEBA; TEST-ONLY FEATURES, NOT FID"
