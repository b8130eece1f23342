"""Points data sets (couae.grid.points): a section filled from the grid's, its
checks naming the key, its settings, its source as the grid's code asks of it,
and the registry finding an adapter module in a folder without __init__.py."""

import math
import sys
import textwrap

import numpy as np
import pytest
import yaml

from couae import config as C
from couae import datasets
from couae.grid.data import make_splits, source_of
from couae.grid.evaluation import mixture_statistics, reference_rows
from couae.grid.points import DATA_KEYS, PointDataset
from couae.grid.settings import GridEvaluation, seed_blocks
from couae.parameters import ConfigError, Parameter
from couae.report import text
from couae.runtime import estimate
from helpers import REPO, load_config

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


@pytest.fixture(scope="module")
def toys():
    """Two points data sets registered for this module's tests, and taken out of the registry after."""

    class Square(PointDataset):
        name = "testsquare"
        title = "test square"
        prose = "the test square"
        description = "uniform on a square about the origin"
        parameters = {"side": Parameter({"type": "number", "exclusiveMinimum": 0}, "its side", 2.0)}
        bounded = True

        def sample(self, params, n, rng):
            return (rng.random((n, 2)) - 0.5) * params["side"]

        def log_density(self, params, x):
            inside = (np.abs(x) <= params["side"] / 2).all(1)
            return np.where(inside, -2 * math.log(params["side"]), -np.inf)

    class Flat(PointDataset):
        name = "testflat"
        title = "test flat"
        prose = "the test flat"
        description = "points on a segment, one coordinate of them only"

        def sample(self, params, n, rng):
            return rng.standard_normal((n, 3)) if params.get("wrong") else np.c_[rng.standard_normal(n), np.zeros(n)]

        parameters = {"wrong": Parameter({"type": "boolean"}, "draw 3-D points (a broken sampler)", False)}

    yield datasets.get("testsquare"), datasets.get("testflat")
    for name in ("testsquare", "testflat"):
        datasets.REGISTRY._items.pop(name)


def square_side(config) -> float:
    return datasets.get("testsquare").resolved_params(config)["side"]


def with_section(name, section, rows=("wae", "couae")):
    config = load_config()
    config[name] = {**section, "rows": list(rows)}
    C.complete_sections(config)
    return config


def test_a_section_takes_the_grids_settings_it_does_not_give(toys):
    config = with_section("testsquare", {"params": {"side": 3.0}, "training": {"iterations": 7}})
    own, grid = config["testsquare"], config["grid"]
    assert own["training"]["iterations"] == 7  # its own
    assert {k: v for k, v in own["training"].items() if k != "iterations"} == {
        k: v for k, v in grid["training"].items() if k != "iterations"
    }
    assert own["model"] == grid["model"] and own["experiments"] == grid["experiments"]
    assert own["data"] == {k: grid["data"][k] for k in DATA_KEYS}  # no mixture, no per-seed splits
    assert "variants" not in own and "tuning" not in own
    bare = load_config()
    bare["testsquare"] = None  # `testsquare:` alone: its parameters' defaults, the grid's settings
    C.complete_sections(bare)
    assert bare["testsquare"]["params"] == {} and square_side(bare) == 2.0
    assert config["claims"]["margin"]["testsquare"] == config["claims"]["margin"]["grid"]
    C.check_schema(config, SCHEMA, "")
    C.check_config(config)


def test_its_parameters_and_keys_are_checked_naming_them(toys):
    with pytest.raises(ConfigError, match=r"testsquare\.params\.side"):
        C.check_config(with_section("testsquare", {"params": {"side": -1}}))
    with pytest.raises(ConfigError, match=r"testsquare\.params"):
        C.check_config(with_section("testsquare", {"params": {"sides": 1}}))
    folds = {"params": {}, "evaluation": {"selection": "cv", "cv_folds": 50}, "data": {"n_reference": 20}}
    with pytest.raises(ConfigError, match=r"testsquare\.evaluation\.cv_folds exceeds testsquare\.data\.n_reference"):
        C.check_config(with_section("testsquare", folds))
    config = with_section("testsquare", {"params": {}, "training": {"iteration": 7}})
    with pytest.raises(ConfigError, match=r"testsquare\.training.*iteration"):
        C.check_schema(config, SCHEMA, "")
    config = load_config()
    config["nosuchset"] = {"params": {}}
    with pytest.raises(ConfigError, match="config section 'nosuchset' has no data set adapter"):
        C.complete_sections(config)


def test_a_row_that_measures_its_kernel_in_a_scale_the_data_lack_is_refused(toys):
    config = load_config()
    scale = config["grid"]["models"]["coulombgan"]["kernel_scale"]
    assert scale != "absolute"  # the grid's Coulomb GAN reads its data's length scale
    with pytest.raises(ConfigError, match=r"testsquare\.experiments\.coulombgan: .*kernel_scale to absolute"):
        C.check_config(with_section("testsquare", {"params": {}}, rows=("couae", "coulombgan")))
    absolute = {"params": {}, "models": {"coulombgan": {"kernel_scale": "absolute"}}}
    C.check_config(with_section("testsquare", absolute, rows=("couae", "coulombgan")))


def test_its_jobs_are_the_grids_on_its_data(toys):
    square, flat = toys
    config = with_section("testsquare", {"params": {"side": 3.0}})
    data = square.data_settings(config)
    assert data.dataset == "testsquare" and data.params == {"side": 3.0}
    trained = square.training_settings(config, "couae", "1", 0)
    assert trained.data == data.to_dict() and trained.snapshots == ()
    assert list(trained.seeds) == seed_blocks(config, "testsquare")[0]
    assert trained.theorem2_data_failure is None  # a bounded square: Theorem 2's assumption holds
    failure = flat.training_settings(with_section("testflat", {"params": {}}), "couae", "1", 0).theorem2_data_failure
    assert failure == "test flat data: unbounded support (the theorem needs [-M, M]^d)"
    assert "results/testsquare/eval/wae/width1/block0.csv" in square.evaluations(config)
    assert text.caption("testsquare_samples", config).startswith("test square: samples generated by each experiment")


def test_its_source_is_what_the_grids_code_asks_of_its_data(toys):
    square, flat = toys
    config = with_section("testsquare", {"params": {"side": 3.0}})
    source = source_of(square.data_settings(config).to_dict())
    sizes = {"train": 50, "validation": 40, "test": 30, "reference": 20}
    splits = make_splits(source, sizes, seed=3, streams="testsquare")
    assert {k: len(v) for k, v in splits.items()} == sizes and (np.abs(splits["test"]) <= 1.5).all()
    assert not np.array_equal(splits["test"], make_splits(source, sizes, seed=3)["test"])  # its own streams
    assert mixture_statistics(splits["test"], source, {"radius_stds": 3, "min_samples": 1}) == {}  # no modes
    with pytest.raises(ValueError, match="no 'std' length scale"):
        source.length_scale("std")
    with pytest.raises(ValueError, match=r"Flat\.sample drew \(5, 3\) points"):
        flat.source({"wrong": True}).sample(5, np.random.default_rng(0))


def test_its_reference_rows_have_the_true_density_only_where_it_is_known(toys):
    square, flat = toys
    evaluation = GridEvaluation({"log10_start": -1.0, "log10_stop": 0.0, "num": 3}, "validation", 2, {})
    sizes = {"train": 50, "validation": 200, "test": 200, "reference": 200}
    found = {}
    for adapter, params in ((square, {"side": 3.0}), (flat, {"wrong": False})):
        splits = make_splits(adapter.source(params), sizes, seed=1)
        found[adapter.name] = reference_rows("", splits, {"dataset": adapter.name, "params": params}, evaluation)
    assert list(found["testsquare"].reference) == ["true density", "KDE on 200 true samples"]
    assert found["testsquare"].test_log_likelihood.iloc[0] == pytest.approx(-2 * math.log(3.0))  # uniform: 1/9
    assert list(found["testflat"].reference) == ["KDE on 200 true samples"]  # no closed form: no true density
    assert "closed by its ceilings (a KDE on true samples)" in flat.table1_caption(load_config())
    assert "(the true density and a KDE on true samples)" in square.table1_caption(load_config())


def test_its_start_estimate_borrows_the_grids_rates(toys):
    config = with_section("testsquare", {"params": {}})
    rates = estimate.load_rates()
    grid_hours, _, _ = estimate.job_hours([datasets.get("grid")], config, rates, "cpu")
    hours, borrowed, missing = estimate.job_hours([datasets.get("testsquare")], config, rates, "cpu")
    assert not missing and borrowed == ["testsquare couae", "testsquare wae"]
    assert 0 < hours < grid_hours  # two rows on one data set against every grid row on every variant


def test_the_registry_finds_an_adapter_module_in_a_folder_without_a_package_file(tmp_path, monkeypatch):
    (tmp_path / "pkgx" / "reg").mkdir(parents=True)
    (tmp_path / "pkgx" / "toy").mkdir()
    (tmp_path / "pkgx" / "__init__.py").write_text("")
    (tmp_path / "pkgx" / "reg" / "__init__.py").write_text(
        "from couae.registry import Registry\nREGISTRY = Registry('thing', __name__, module='adapter')\n"
    )
    (tmp_path / "pkgx" / "toy" / "adapter.py").write_text(
        textwrap.dedent(
            """
            from ..reg import REGISTRY

            class Toy:
                name = "toy"

            REGISTRY.add(Toy())
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from pkgx.reg import REGISTRY

    assert REGISTRY.names() == ["toy"]
    for name in [m for m in sys.modules if m == "pkgx" or m.startswith("pkgx.")]:
        monkeypatch.delitem(sys.modules, name)
