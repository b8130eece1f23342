"""CelebA 64x64 (rules/celeba.smk, the library `couae.celeba`): the aligned
images, cropped and resized as WAE's code does, one training job per
(experiment, width, seed), FID against the test split. Runs only where the
files are configured (or on the generated stand-in images)."""

from __future__ import annotations

from .. import caveats, models
from ..datasets import BETTER, Dataset, Metric, PaperResults
from ..parameters import ConfigError
from ..settings import experiments, runs, seeds
from . import settings as C
from .files import SPLITS


class CelebA(Dataset):
    name = "celeba"
    title = "CelebA"
    prose = "CelebA"
    metric = Metric("fid", "FID", "FID", higher_is_better=False)
    paper = PaperResults(
        iterations=100_000,
        table1={"VAE": (63.0, None), "WAE": (55.0, None), "CouAE": (47.0, None)},
        table2={0.25: (53.0, None), 0.5: (51.0, None), 1.0: (47.0, None)},
        table1_claims={"WAE": BETTER, "VAE": BETTER},
        notes=(
            "celeba: the paper's VAE 63 and WAE 55 FIDs are, as far as can be told, WAE's own published numbers "
            "(TensorFlow's Inception): quoted by the paper, not re-run with its CouAE.",
        ),
    )

    DATA = "results/celeba/data"
    SPLIT_FILES = {split: f"results/celeba/data/{split}.npy" for split in SPLITS}
    META = f"{DATA}/meta.json"
    RUN = "results/celeba/train/{experiment}/width{width}/seed{seed}"
    EVAL = "results/celeba/eval/{experiment}/width{width}/seed{seed}"
    FID_WEIGHTS = "results/celeba/fid/weights.json"
    FID_REFERENCE = "results/celeba/fid/test_stats.npz"
    TRAIN_BENCHMARK = "results/benchmarks/celeba_train/{experiment}_width{width}_seed{seed}.tsv"
    EVAL_BENCHMARK = "results/benchmarks/celeba_eval/{experiment}_width{width}_seed{seed}.tsv"

    def configured(self, config) -> bool:
        return C.celeba_configured(config)

    def seeds_per_job(self, config) -> int:
        return 1  # batch norm must not mix seeds: one network per job

    def sample_values(self, config) -> int:
        return 3 * config["celeba"]["data"]["size"] ** 2  # RGB images, size x size

    def layer_units(self, config) -> list[int]:
        return list(config["celeba"]["model"]["channels"])

    def recon_weight(self, config) -> float:
        return float(config["celeba"]["training"]["recon_weight"])

    def step_cost(self, config, measured: dict) -> float:
        """The encoder's convolutions' multiply-adds per batch (the decoder mirrors them) against the measured
        networks': each stride-2 layer costs its input channels x output channels x its output's pixels."""

        def convolutions(channels, size):
            sizes = [3, *channels]
            return sum(a * b * (size >> (k + 1)) ** 2 for k, (a, b) in enumerate(zip(sizes, sizes[1:])))

        own, size = config["celeba"], config["celeba"]["data"]["size"]
        per_image = convolutions(own["model"]["channels"], size) / convolutions(measured["channels"], size)
        return per_image * own["training"]["batch_size"] / measured["batch_size"]

    def n_train(self, config):
        data = config["celeba"]["data"]
        return (data["standin"]["n_train"], "celeba.data.standin.n_train") if data["kind"] == "standin" else None

    def start_check(self, config):
        return C.start_check(config)

    def check(self, config) -> None:
        celeba = config["celeba"]
        self._check_model_options(config)
        fig4 = celeba["figures"]["figure4_experiment"]
        if fig4 not in experiments(config, "celeba"):
            raise ConfigError(
                f"celeba.figures.figure4_experiment: {fig4!r} is not one of the celeba.experiments that run "
                f"({', '.join(experiments(config, 'celeba'))})"
            )
        if celeba["figures"]["n_samples"] > celeba["fid"]["n_generated"]:
            raise ConfigError("celeba.figures.n_samples exceeds celeba.fid.n_generated")
        standin = celeba["data"]["standin"]
        if celeba["data"]["kind"] == "standin" and celeba["figures"]["n_reconstructions"] > standin["n_test"]:
            raise ConfigError("celeba.figures.n_reconstructions exceeds celeba.data.standin.n_test")

    @staticmethod
    def _check_model_options(config) -> None:
        """WAE's encoder noise and pre-training act on an autoencoder's encoder:
        refused for rows whose model type has no such step (it says so); Figure 4
        needs a model that reconstructs."""
        celeba = config["celeba"]
        train = celeba["training"]
        running = {
            name: models.model_type(celeba["experiments"][name]["model"]) for name in experiments(config, "celeba")
        }
        for key, takes in (("encoder_noise", "takes_encoder_noise"), ("pretrain_steps", "takes_pretraining")):
            refused = [name for name, spec in running.items() if not getattr(spec, takes)]
            if train[key] and refused:
                raise ConfigError(
                    f"celeba.training.{key} = {train[key]} acts on an autoencoder's encoder; celeba.experiments."
                    f"{refused[0]} has no such step: set it to 0 or skip that row"
                )
        figure4 = celeba["figures"]["figure4_experiment"]
        if figure4 in running and not running[figure4].reconstructs:
            raise ConfigError(
                f"celeba.figures.figure4_experiment: {figure4} (model type {running[figure4].name}) reconstructs "
                "nothing, and Figure 4 shows reconstructions"
            )

    # --- files -------------------------------------------------------------------------------

    def outputs(self, config, pattern: str) -> list[str]:
        """`pattern` filled for every configured (experiment, width) and seed."""
        every = seeds(config, "celeba")
        return [pattern.format(experiment=e, width=w, seed=s) for e, w in runs(config, "celeba") for s in every]

    def evaluations(self, config) -> list[str]:
        return self.outputs(config, f"{self.EVAL}.csv")

    def provenance(self, config) -> list[str]:
        return [
            *self.outputs(config, f"{self.RUN}/provenance.json"),
            *self.outputs(config, f"{self.EVAL}.provenance.json"),
        ]

    def benchmarks(self, config) -> list[str]:
        return [
            "results/benchmarks/celeba_data.tsv",
            "results/benchmarks/celeba_fid_reference.tsv",
            *self.outputs(config, self.TRAIN_BENCHMARK),
            *self.outputs(config, self.EVAL_BENCHMARK),
        ]

    def targets(self, config) -> list[str]:
        figures = [f"results/figures/{name}.{ext}" for name in ("figure3", "figure4") for ext in ("png", "pdf")]
        return figures + self.evaluations(config)

    # --- words -------------------------------------------------------------------------------

    def notes(self, config) -> list[str]:
        c = config["celeba"]
        if not self.configured(config):
            return ["celeba: not run (no CelebA files configured: celeba.data); its cells say 'not run'."]
        return [
            f"celeba: {c['training']['iterations']} iterations, batch {c['training']['batch_size']}, "
            f"FID from {c['fid']['n_generated']} generated images against the test split "
            f"({c['fid']['extractor']} features).",
            *self.paper.notes,
            *self.experiment_notes(config),
        ]

    def caveat_notes(self, config) -> list[str]:
        c = config["celeba"]
        if not self.configured(config):
            return []
        notes = [caveats.STANDIN_NOTE] if c["data"]["kind"] == "standin" else []
        if c["fid"]["extractor"] != "inception":
            notes.append(caveats.TEST_ONLY_NOTE)
        shortened = caveats.shortened_run("celeba", c["training"]["iterations"], self.paper.iterations)
        return notes + ([shortened] if shortened else [])

    def captions(self, config) -> dict[str, str]:
        c = config["celeba"]
        return {
            "figure3": (
                "Figure 3: images generated by each CelebA experiment (first seed, at width x1 or the experiment's "
                f"largest width): the decoder applied to N(0, I) draws. Data: {c['data']['kind']} (a stand-in run "
                "says so in the figure's title)."
            ),
            "figure4": (
                "Figure 4: CelebA test images (top row of each panel) over their reconstructions g(f(x)) (bottom "
                f"row), one panel per width factor of the experiment {c['figures']['figure4_experiment']} (first "
                f"seed). Data: {c['data']['kind']} (a stand-in run says so in the figure's title)."
            ),
        }

    def summary(self, config) -> str:
        celeba = config["celeba"]
        if not self.configured(config):
            return "CelebA: not run (no CelebA files configured); its table cells say so."
        data = "stand-in images, not CelebA" if celeba["data"]["kind"] == "standin" else "CelebA"
        return (
            f"CelebA: {data}; {celeba['training']['iterations']} iterations (paper {self.paper.iterations}); "
            f"features: {celeba['fid']['extractor']}."
        )

    def table1_caption(self, config) -> str:
        fid, data = config["celeba"]["fid"], config["celeba"]["data"]
        return (
            f"CelebA: FID of {fid['n_generated']} generated images against the test split ({fid['extractor']} "
            f"features, data: {data['kind']}); a value made on stand-in images or with the test-only extractor says "
            "so in its cell and is not compared with the paper. "
            + " ".join([*self.paper.notes, *self.experiment_notes(config)])
        ).strip()

    def theorem2_notes(self, config) -> list[str]:
        return [
            "celeba: xi and xi_mean sum all 3 x 64 x 64 values in [-1, 1], without the training's recon_weight; "
            "xi_objective and xi_mean_objective (the bound's inputs) are in the objective's units "
            f"(recon_weight {config['celeba']['training']['recon_weight']:g} x that)."
        ]
