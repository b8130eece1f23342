import subprocess
import sys

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from couae import config as C
from couae import kernels, models
from couae import settings as S
from couae.celeba import settings as CS
from couae.celeba.weights import WEIGHTS_FILE
from couae.grid import settings as GS
from helpers import REPO, load_config, quick_config, snakemake_command, unknown_name

# unknown names from the registries: a name docs/extending.md adds (laplace) must not be one
UNKNOWN_KERNEL, UNKNOWN_MODEL = unknown_name(kernels.names()), unknown_name(models.names())

SCHEMA = str(REPO / "workflow/schemas/config.schema.yaml")


def check(config):
    validate(config, SCHEMA, set_default=False)
    C.check_config(config)


# the schema's errors (structure) or the components' (their names and parameters)
REFUSED = (WorkflowError, S.ConfigError)


def test_paper_config_and_quick_preset_are_valid():
    check(load_config())
    check(quick_config())


@pytest.mark.parametrize(
    "override, names",
    [
        ({"grid": {"experiments": {"x": {"model": "mmd", "kernel": UNKNOWN_KERNEL}}}}, [UNKNOWN_KERNEL]),
        ({"grid": {"experiments": {"x": {"model": UNKNOWN_MODEL}}}}, [UNKNOWN_MODEL, "model"]),
        ({"grid": {"widths": [0.5, -1.0]}}, ["widths", "-1.0"]),
        ({"grid": {"training": {"lr": "1e-3"}}}, ["lr", "1e-3", "number"]),
        ({"grid": {"training": {"learning_rate": 1.0e-3}}}, ["learning_rate"]),
        ({"grid": {"experiments": {"v": {"model": "vae", "kernel": "imq"}}}}, ["experiments", "v"]),
        ({"grid": {"experiments": {"m": {"model": "mmd"}}}}, ["kernel"]),
        (
            {"grid": {"experiments": {"c": {"model": "mmd", "kernel": "coulomb", "kernel_params": {"scales": [1.0]}}}}},
            ["scales"],
        ),
        ({"grid": {"experiments": {"Bad_Name": {"model": "vae"}}}}, ["Bad_Name"]),
        ({"grid": {"evaluation": {"selection": "silverman"}}}, ["silverman"]),
        ({"theory": {"theorem1": {"flows": {"x": {"kernel": UNKNOWN_KERNEL, "params": {}}}}}}, [UNKNOWN_KERNEL]),
        ({"theory": {"theorem1": {"flows": {"x": {"kernel": "plummer", "params": {"beta": 1.0}}}}}}, ["beta"]),
        ({"theory": {"figure1": {"points": "many"}}}, ["points"]),
        ({"celeba": {"data": {"kind": "imagenet"}}}, ["kind", "imagenet"]),
        ({"celeba": {"data": {"sources": ["ftp"]}}}, ["sources", "ftp"]),
        ({"celeba": {"data": {"md5": {"archive": "xyz"}}}}, ["md5", "archive", "xyz"]),
        ({"celeba": {"data": {"size": 128}}}, ["size", "64"]),
        ({"celeba": {"model": {"channels": [64, 128, 256]}}}, ["channels"]),
        ({"celeba": {"fid": {"extractor": "clip"}}}, ["extractor", "clip"]),
        ({"celeba": {"fid": {"few_images": "ignore"}}}, ["few_images", "ignore"]),
        ({"celeba": {"training": {"mixed_precision": "fp8"}}}, ["mixed_precision", "fp8"]),
        ({"theory": {"theorem2": {"delta": 1.5}}}, ["delta", "1.5"]),
        ({"grid": {"experiments": {"g": {"model": "coulombgan"}}}}, ["kernel", "g"]),
        ({"grid": {"experiments": {"g": {"model": "coulombgan", "kernel": "plummer", "lambda": 1.0}}}}, ["g"]),
        ({"grid": {"experiments": {"couae": {"discriminator_lr": 1.0e-3}}}}, ["couae"]),
        ({"celeba": {"experiments": {"wae": {"discriminator_width": 2.0}}}}, ["wae"]),
        ({"grid": {"experiments": {"g": {"model": "coulombgan", "kernel": "learned"}}}}, ["g", "learned", "plummer"]),
        ({"grid": {"models": {"learnedkernel": {"features": 0}}}}, ["grid.models.learnedkernel.features"]),
        ({"celeba": {"experiments": {"learnedae": {"model_params": {"alpha": -1.0}}}}}, ["model_params.alpha"]),
        ({"grid": {"experiments": {"learnedae": {"model_params": {"bandwidth": 1.0}}}}}, ["bandwidth"]),
        ({"grid": {"experiments": {"learnedae": {"kernel": "imq"}}}}, ["learnedae.kernel", "takes no kernel"]),
        ({"grid": {"models": {"gan": {}}}}, ["grid.models.gan", "unknown model type"]),
        ({"grid": {"kernels": {"coulomb": {"eps": -1.0}}}}, ["grid.kernels.coulomb.eps"]),
        ({"grid": {"rows": ["couae", "nosuchrow"]}}, ["grid.rows", "nosuchrow"]),
        ({"theory": {"theorem2": {"draws": 1}}}, ["draws"]),
        ({"theory": {"flows": {"rows": {"k": {"method": "kale", "lr": 1.0e-3}}}}}, ["lambda", "k"]),
        ({"theory": {"flows": {"rows": {"m": {"method": "mmd", "lr": 1.0e-3, "lambda": 1.0}}}}}, ["m"]),
        ({"theory": {"flows": {"rows": {"m": {"method": "svgd", "lr": 1.0e-3}}}}}, ["svgd"]),
        ({"theory": {"flows": {"rows": {"mmd": {"noise": {"schedule": "cosine", "beta0": 0.3, "every": 10}}}}}},
         ["cosine"]),
        ({"theory": {"flows": {"setups": {"rings": {"std": 0.1}}}}}, ["std", "rings"]),
        ({"theory": {"flows": {"setups": {"mog": {"centres": [[0.0, 0.0, 1.0]]}}}}}, ["centres"]),
    ],
)  # fmt: skip
def test_schema_rejects_with_a_message_naming_the_key(override, names):
    with pytest.raises(REFUSED) as err:
        check(load_config(override))
    message = str(err.value) + "".join(str(a) for a in err.value.args)
    for name in names:
        assert name in message


def test_missing_section_is_named():
    config = load_config()
    del config["grid"]["evaluation"]
    with pytest.raises(WorkflowError, match="'evaluation' is a required property"):
        check(config)


@pytest.mark.parametrize(
    "override, key",
    [
        ({"grid": {"training": {"log_every": 30, "checkpoint_every": 100}}}, "checkpoint_every"),
        ({"grid": {"training": {"batch_size": 600}}}, "batch_size"),
        ({"grid": {"training": {"seeds": [1, 1]}}}, "seeds"),
        ({"device": "cpu", "grid": {"training": {"compile": "graphed"}}}, r"grid\.training\.compile: .* device is cpu"),
        ({"celeba": {"device": "cpu", "training": {"compile": "graphed"}}}, "celeba.device is cpu"),
        ({"grid": {"widths": [0.001]}}, "widths"),
        ({"theory": {"theorem1": {"final_max_step": 1.0}}}, "final_max_step"),
        ({"theory": {"figure1": {"range": [3.0, -3.0]}}}, "range"),
        ({"grid": {"experiments": {"wae": {"widths": [1.0, 1.0]}}}}, r"grid\.experiments\.wae\.widths"),
        ({"grid": {"training": {"snapshots": [2000, 1500]}}}, r"grid\.training\.snapshots .* \[1500\] are not"),
        ({"celeba": {"training": {"log_every": 30, "checkpoint_every": 100}}}, r"celeba\.training\.checkpoint_every"),
        ({"celeba": {"figures": {"figure4_experiment": "nope"}}}, r"celeba\.figures\.figure4_experiment: 'nope'"),
        ({"celeba": {"experiments": {"couae": {"widths": [0.5, 0.5]}}}}, r"celeba\.experiments\.couae\.widths"),
        ({"celeba": {"widths": [0.001]}}, r"celeba\.widths: width 0\.001"),
        (
            {"grid": {"experiments": {"learnedae": {"model_params": {"omega_ceiling": None, "omega_floor": 1.0}}}}},
            r"grid\.experiments\.learnedae\.model_params: omega_floor \(1\.0\) needs an omega_ceiling",
        ),
        ({"theory": {"theorem1": {"dims": [3, 8]}}}, r"theory\.theorem1\.dims must include 2"),
        ({"celeba": {"figures": {"n_samples": 20000}}}, r"celeba\.figures\.n_samples"),
        ({"celeba": {"data": {"kind": "standin"}, "training": {"batch_size": 30000}}}, r"celeba\.training\.batch_size"),
        (
            {"celeba": {"training": {"pretrain_steps": 200}}},
            r"celeba\.training\.pretrain_steps = 200 acts on an autoencoder's encoder; "
            r"celeba\.experiments\.coulombgan has no such step",
        ),
        (
            {"celeba": {"training": {"encoder_noise": 0.01}, "experiments": {"coulombgan": {"skip": True}}}},
            r"celeba\.training\.encoder_noise = 0\.01 .* celeba\.experiments\.learnedae has no such step",
        ),
        (
            {"celeba": {"figures": {"figure4_experiment": "coulombgan"}}},
            r"coulombgan \(model type coulombgan\) reconstructs",
        ),
        (
            {"theory": {"flows": {"rows": {"kale": {"lr_per_setup": {"ring": 1.0}}}}}},
            r"theory\.flows\.rows\.kale\.lr_per_setup names \['ring'\]",
        ),
    ],
)
def test_cross_field_rules_name_the_key(override, key):
    with pytest.raises(S.ConfigError, match=key):
        check(load_config(override))


def test_snakemake_refuses_a_bad_config_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("grid:\n  training:\n    lr: 1e-3\n")  # YAML reads 1e-3 as a string
    result = subprocess.run(
        snakemake_command(tmp_path, "--configfile", bad, cores=1),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "['training']['lr']" in result.stderr and "is not of type 'number'" in result.stderr
    assert not (tmp_path / "results").exists()


def test_job_settings_hold_only_that_experiment():
    config = load_config()
    s = GS.grid_training_settings(config, "narrow", "couae", "0.5")
    assert s.kernel == "coulomb" and s.kernel_params == {"eps": 0.01, "beta": None, "smoothing": "additive",
                                                         "normalised": False}  # fmt: skip
    assert s.width == 0.5 and s.lam == 100.0 and s.seeds == tuple(range(10))
    changed = load_config({"grid": {"kernels": {"plummer": {"exponent": 2.0}}}})
    assert GS.grid_training_settings(changed, "cited", "couae", 1.0) == GS.grid_training_settings(
        config, "cited", "couae", 1.0
    )
    assert GS.grid_training_settings(changed, "cited", "plummer", 1) != GS.grid_training_settings(
        config, "cited", "plummer", 1
    )
    over = load_config({"grid": {"experiments": {"couae": {"kernel_params": {"eps": 0.5}}}}})
    assert GS.grid_training_settings(over, "narrow", "couae", 1.0).kernel_params["eps"] == 0.5


def test_width_labels():
    assert [S.width_label(w) for w in (0.25, 0.5, 1.0, 2)] == ["0.25", "0.5", "1", "2"]


def test_celeba_jobs_hold_only_their_settings():
    config = load_config()
    assert S.runs(config, "celeba") == [
        ("vae", "1"), ("wae", "1"), ("couae", "0.25"), ("couae", "0.5"), ("couae", "1"), ("learnedae", "1"),
        ("coulombgan", "1"),
    ]  # fmt: skip
    s = CS.celeba_training_settings(config, "couae", "0.5", 0)
    assert s.kernel_params == {"eps": 1.0, "beta": 2.0, "smoothing": "additive", "normalised": False}
    assert s.recon_weight == 0.05 and s.latent_dim == 64
    moved = load_config({"celeba": {"data": {"archive": "/elsewhere.zip", "sources": ["archive"]}}})
    assert CS.celeba_data_settings(moved) == CS.celeba_data_settings(config)  # locations are not settings
    assert "weights_dir" not in CS.fid_settings(config).to_dict()


def test_skip_leaves_rows_out_of_a_merged_config():
    config = load_config({"grid": {"experiments": {"gaussian": {"skip": True}}, "variants": {"cited": {"skip": True}}}})
    check(config)
    assert S.experiments(config, "grid") == [e for e in load_config()["grid"]["experiments"] if e != "gaussian"]
    assert GS.variants(config) == [v for v in load_config()["grid"]["variants"] if v != "cited"]
    assert "gaussian" not in C.claims_settings(config).paper_columns["grid"].values()
    assert [name for name, _ in S.experiment_labels(config, "grid")] == S.experiments(config, "grid")
    with pytest.raises(S.ConfigError, match=r"grid\.variants: every variant is skipped"):
        check(load_config({"grid": {"variants": {name: {"skip": True} for name in load_config()["grid"]["variants"]}}}))
    with pytest.raises(S.ConfigError, match=r"celeba\.figures\.figure4_experiment: 'couae' is not one of"):
        check(load_config({"celeba": {"experiments": {"couae": {"skip": True}}}}))


@pytest.mark.parametrize(
    "override, key",
    [
        ({"grid": {"training": {"lambda": float("nan")}}}, r"grid\.training\.lambda: nan is not a finite number"),
        ({"celeba": {"training": {"lr": float("inf")}}}, r"celeba\.training\.lr: inf is not a finite number"),
        ({"grid": {"variants": {"cited": {"std": float("nan")}}}}, r"grid\.variants\.cited\.std: nan"),
        ({"theory": {"figure1": {"charges": [0.0, float("-inf")]}}}, r"theory\.figure1\.charges\.1: -inf"),
    ],
)
def test_non_finite_numbers_are_refused_naming_the_key(override, key):
    with pytest.raises(S.ConfigError, match=key):
        check(load_config(override))


def test_variants_run_chooses_the_paper_readings_or_named_ones():
    configured = load_config()["grid"]["variants"]
    ours = [name for name, entry in configured.items() if entry.get("paper") is False]
    assert ours, "config.yaml has a variant of ours (paper: false)"
    paper_only = load_config({"grid": {"variants_run": "paper"}})
    check(paper_only)
    assert GS.variants(paper_only) == [name for name in configured if name not in ours]
    named = load_config({"grid": {"variants_run": [ours[0]]}})
    check(named)
    assert GS.variants(named) == [ours[0]] and GS.paper_variants(named) == []
    with pytest.raises(S.ConfigError, match=r"grid.variants_run names \['nope'\]"):
        check(load_config({"grid": {"variants_run": ["nope"]}}))


@pytest.mark.parametrize(
    "entry, named",
    [
        ({"count": 8, "radius": 2.0, "per_axis": 3, "std": 0.1}, r"grid.variants.bad: a mixture is described by"),
        ({"count": 8, "std": 0.1}, r"grid.variants.bad: a ring needs count and radius; radius missing"),
        ({"count": 8, "radius": 2.0, "std": [0.1, 0.2]}, r"grid.variants.bad.std: one std per centre needs centres"),
        ({"centres": [[0, 0], [1, 1]], "std": [0.1, 0.2, 0.3]}, r"grid.variants.bad.std: 3 stds for 2 centres"),
        ({"centres": [[0, 0], [0, 0]], "std": 0.1}, r"grid.variants.bad.centres: \[\(0, 0\)\] listed more"),
    ],
)
def test_a_bad_mixture_entry_is_named(entry, named):
    with pytest.raises(S.ConfigError, match=named):
        check(load_config({"grid": {"variants": {"bad": {**entry, "description": "a bad one"}}}}))


def test_values_far_outside_sane_ranges_are_warned_about_at_start(tmp_path):
    config = load_config({"grid": {"training": {"lambda": 1.0e30}, "experiments": {"couae": {"lr": 5.0}}}})
    assert C.config_warnings(config) == [
        "grid.training.lambda = 1e+30 is far outside [0.001, 10000]; is it meant?",
        "grid.experiments.couae.lr = 5 is far outside [1e-07, 0.1]; is it meant?",
    ]
    assert C.config_warnings(load_config()) == []
    odd = tmp_path / "odd.yaml"
    odd.write_text("grid:\n  training:\n    lambda: 1.0e+30\n")
    result = subprocess.run(
        snakemake_command(tmp_path, "-n", "--configfile", odd, cores=1), capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "config: grid.training.lambda = 1e+30 is far outside" in result.stdout + result.stderr


def test_start_check_names_missing_celeba_files_and_fid_weights(tmp_path):
    assert C.start_check(quick_config()) == ([], [])
    off, notes = C.start_check(load_config())  # the paper config names no CelebA files
    assert off == [] and "CelebA: no files configured (celeba.data.folder" in notes[0]
    assert not CS.celeba_configured(load_config()) and CS.celeba_configured(quick_config())
    partition = tmp_path / "partition.txt"
    partition.write_text("000001.jpg 0\n")
    problems, _ = C.start_check(
        load_config(
            {
                "celeba": {
                    "data": {"folder": str(tmp_path / "absent"), "partition": str(tmp_path / "absent.txt")},
                    "fid": {"weights_dir": str(tmp_path), "weights_url": None},
                }
            }
        )
    )
    see = "see docs/celeba.md"
    assert problems == [
        f"CelebA images not found: celeba.data.folder = {tmp_path / 'absent'} does not exist; {see}",
        f"celeba.data.partition = {tmp_path / 'absent.txt'} does not exist; {see}",
        f"FID Inception weights not at {tmp_path / 'checkpoints' / WEIGHTS_FILE} and "
        f"celeba.fid.weights_url is not set; {see}",
    ]
    (tmp_path / "img").mkdir()
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / WEIGHTS_FILE).write_bytes(b"")
    found = {"folder": str(tmp_path / "img"), "partition": str(partition)}
    assert C.start_check(load_config({"celeba": {"data": found, "fid": {"weights_dir": str(tmp_path)}}})) == ([], [])


def test_snakemake_stops_within_seconds_when_celeba_files_are_missing(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"celeba:\n  data:\n    folder: {tmp_path / 'nowhere'}\n")
    result = subprocess.run(
        snakemake_command(tmp_path, "--configfile", mine, cores=1), capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "cannot start:" in message and f"celeba.data.folder = {tmp_path / 'nowhere'} does not exist" in message
    assert not (tmp_path / "results").exists()


def test_the_coulomb_gan_row_gets_its_discriminator_lr():
    config = load_config({"grid": {"experiments": {"coulombgan": {"model_params": {"discriminator_lr": 5.0e-4}}}}})
    check(config)
    gan = GS.grid_training_settings(config, "cited", "coulombgan", "1")
    assert gan.model == "coulombgan" and gan.kernel == "plummer" and gan.model_params["discriminator_lr"] == 5.0e-4
    default = GS.grid_training_settings(load_config(), "cited", "coulombgan", "1")
    assert default.model_params["discriminator_lr"] == 1.0e-3  # null: the training lr
    couae = GS.grid_training_settings(config, "cited", "couae", "1")
    assert couae.model_params == {} and couae == GS.grid_training_settings(load_config(), "cited", "couae", "1")


def test_the_celeba_coulomb_gan_gets_its_discriminator_width_and_other_rows_keep_their_fingerprints():
    config = load_config({"celeba": {"models": {"coulombgan": {"discriminator_width": 2.0}}}})
    check(config)
    gan = CS.celeba_training_settings(config, "coulombgan", "1", 0)
    assert gan.model_params["discriminator_width"] == 2.0 and gan.model_params["discriminator_lr"] == gan.lr
    couae = CS.celeba_training_settings(config, "couae", "1", 0)
    assert couae.fingerprint() == CS.celeba_training_settings(load_config(), "couae", "1", 0).fingerprint()


def test_a_model_types_parameters_resolve_from_its_defaults_the_data_set_and_the_experiment():
    config = load_config(
        {
            "grid": {
                "models": {"vae": {"kl_weight": 0.5}},
                "experiments": {"beta": {"model": "vae", "model_params": {"kl_weight": 4.0}}},
            }
        }
    )
    check(config)
    assert GS.grid_training_settings(config, "cited", "vae", 1).model_params["kl_weight"] == 0.5
    assert GS.grid_training_settings(config, "cited", "beta", 1).model_params["kl_weight"] == 4.0


def test_presets_say_which_rows_they_run():
    """The laptop preset lists its rows, so a row added to config.yaml does not
    join the one-hour run; the quick preset runs every row, a new one included."""
    laptop = load_config(yaml.safe_load((REPO / "presets" / "laptop.yaml").read_text()))
    added = load_config(
        yaml.safe_load((REPO / "presets" / "laptop.yaml").read_text()),
        {"grid": {"experiments": {"newrow": {"model": "mmd", "kernel": "imq"}}}},
    )
    assert S.experiments(laptop, "grid") == S.experiments(added, "grid") == ["vae", "wae", "couae"]
    quick = load_config(
        yaml.safe_load((REPO / "presets" / "quick.yaml").read_text()),
        {"grid": {"experiments": {"newrow": {"model": "mmd", "kernel": "imq"}}}},
    )
    assert S.experiments(quick, "grid")[-1] == "newrow"
    assert S.experiments(quick, "grid")[:-1] == list(load_config()["grid"]["experiments"])


def test_an_overlay_naming_an_experiment_leaves_the_rows_in_config_yaml_order(tmp_path):
    """Snakemake's merge of a --configfile puts the keys it names first (this
    Snakefile prints the merged order as Snakemake builds it); the workflow puts
    them back in config.yaml's order, at every depth, added keys last."""
    (tmp_path / "base.yaml").write_text("e: {x: {v: 1}, y: {v: 2}, z: {v: 3, n: {a: 1, b: 2}}}\n")
    (tmp_path / "over.yaml").write_text("e: {z: {n: {b: 5}, w: 1}, new: {v: 4}}\n")
    (tmp_path / "Snakefile").write_text(
        'configfile: "base.yaml"\nimport json\nprint("MERGED", json.dumps(config))\nrule all:\n    input: []\n'
    )
    command = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", "over.yaml"]
    out = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    merged = yaml.safe_load(out.split("MERGED ", 1)[1].splitlines()[0])
    assert list(merged["e"])[0] == "z"  # the merge this guards against
    C.keep_base_order(merged, yaml.safe_load((tmp_path / "base.yaml").read_text()))
    assert list(merged["e"]) == ["x", "y", "z", "new"] and list(merged["e"]["z"]) == ["v", "n", "w"]
    assert list(merged["e"]["z"]["n"]) == ["a", "b"] and merged["e"]["z"]["n"]["b"] == 5


def test_a_config_section_without_its_data_sets_adapter_is_named():
    """A data set's section added to the config (and its schema) without couae/<name>/adapter.py."""
    config = load_config()
    config["ring"] = {"training": {"iterations": 10}}
    with pytest.raises(S.ConfigError, match="config section 'ring' has no data set adapter: add couae/ring/adapter.py"):
        C.check_config(config)


@pytest.mark.parametrize(
    "path, named",
    [
        ("kernal_params.eps", r"'kernal_params' was unexpected"),  # a typo of the section
        ("kernel_params.epss", r"kernel_params: .*'epss' was unexpected.*parameters: eps, exponent"),
        ("lamda", r"'lamda' was unexpected"),
    ],
)
def test_a_mistyped_candidate_path_is_refused_before_any_job(path, named):
    """A candidate's overridden entry is checked as any experiment's: a typo would
    otherwise add a key nothing reads and train the row's own settings."""
    said = rf"grid\.tuning\.rows\.plummer: candidate 0 \(.*{path} = 1\.0\): .*{named}"
    with pytest.raises(S.ConfigError, match=said):
        C.check_config(load_config({"grid": {"tuning": {"rows": {"plummer": {path: [1.0, 2.0]}}}}}))


@pytest.mark.parametrize(
    "text, named",
    [
        ("grid: {tuned: [\n", r"broken\.yaml, line 2, column 1: not valid YAML"),
        ("grid:\n  training:\n\tlr: 1\n", r"broken\.yaml, line 3, column 1: not valid YAML .*tab"),
        ("- grid\n- celeba\n", r"broken\.yaml: a YAML list, not a mapping"),
        ("", r"broken\.yaml: empty; a config file holds top-level keys"),
        ("grid: {training: {lr: 1e-3}}\n", r"grid\.training\.lr: '1e-3' is not of type 'number'"),
        ("grid: {tuning: {rows: {plummer: {kernal_params.eps: [1.0]}}}}\n", r"candidate 0 .*'kernal_params'"),
    ],
)
def test_check_config_names_the_broken_file_where_snakemake_cannot(tmp_path, text, named):
    """Snakemake reads --configfile files before the workflow starts and names
    neither the file nor the place (snakemake/snakemake#2439); the checker does."""
    import re

    good, broken = tmp_path / "good.yaml", tmp_path / "broken.yaml"
    good.write_text("grid: {training: {iterations: 100}}\n")
    broken.write_text(text)
    script = REPO / "workflow/scripts/check_config.py"
    run = subprocess.run([sys.executable, script, good, broken], capture_output=True, text=True)
    assert run.returncode == 1 and re.search(named, run.stderr), run.stderr
    assert "Traceback" not in run.stderr
    ok = subprocess.run([sys.executable, script, good, REPO / "presets/quick.yaml"], capture_output=True, text=True)
    assert ok.returncode == 0 and "config ok" in ok.stdout, ok.stderr


def test_a_training_job_that_cannot_fit_in_memory_is_refused_naming_the_key():
    from couae import datasets
    from couae.runtime import memory

    grid = datasets.get("grid")
    config = load_config({"grid": {"data": {"n_train": 2_000_000}, "training": {"batch_size": 1_000_000}}})
    need = grid.memory_floor(config, "couae", 10)
    # 10 seeds x 2 pair matrices of 10^12 bfloat16 values, and more
    assert need >= 10 * 2 * 10**12 * memory.VALUE_BYTES
    (problem,) = C.memory_problems(config, grid, (need - 1, "RAM"))
    assert problem.startswith("grid.training.batch_size: a training job of grid's ")
    assert "(10 seeds, batch 1,000,000) needs at least 37,25" in problem and "lower grid.training.batch_size" in problem
    assert "RAM is 37,25" in problem
    assert C.memory_problems(config, grid, (need, "RAM")) == []  # exactly enough is enough
    assert C.memory_problems(config, grid, (None, "GPU memory")) == []  # unknown: not refused


def test_the_papers_settings_and_the_presets_fit_in_a_small_machine():
    from couae.runtime import memory

    small = (2 * memory.GIB, "RAM")
    for config in (
        load_config(),
        quick_config(),
        load_config(yaml.safe_load((REPO / "presets/laptop.yaml").read_text())),
    ):
        assert all(C.memory_problems(config, d, small) == [] for d in C.in_config(config))


def test_snakemake_refuses_a_batch_that_cannot_fit_before_any_job(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("grid:\n  data: {n_train: 2000000}\n  training: {batch_size: 1000000}\n")
    result = subprocess.run(
        snakemake_command(tmp_path, "--configfile", mine, cores=1), capture_output=True, text=True, timeout=120
    )
    message = result.stdout + result.stderr
    assert result.returncode != 0 and "cannot start:" in message, message[-3000:]
    assert "grid.training.batch_size: a training job of grid's" in message and "GiB" in message
    assert not (tmp_path / "results").exists()
