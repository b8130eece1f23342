"""The grid data set's adapter (rules/grid.smk, the library `couae.grid`):
its variants are 2-D Gaussian mixtures (the paper's two grid readings, the
GAN literature's ring, any entry of grid.variants), every seed of a
(variant, experiment, width) in one training job, the test log-likelihood of
a Gaussian KDE on generated samples beside the mode-collapse numbers."""

from __future__ import annotations

from .. import caveats
from ..datasets import AT_LEAST, BETTER, Dataset, Metric, PaperResults
from ..parameters import ConfigError
from ..runtime.gpu_slots import gpu_claim
from ..settings import main_widths, runs
from . import settings as G


def _selection(config) -> str:
    ev = config["grid"]["evaluation"]
    if ev["selection"] == "cv":
        return f"{ev['cv_folds']}-fold CV on the generated samples"
    return "the validation set"


def _bandwidths(config) -> str:
    b = config["grid"]["evaluation"]["bandwidths"]
    return f"logspace({b['log10_start']:g}, {b['log10_stop']:g}, {b['num']})"


def check_cv_folds(name: str, section) -> None:
    """Cross-validated bandwidths need as many points as folds in the samples and in the reference split
    (a data set's section scored by the KDE: the grid's, a points data set's)."""
    ev = section["evaluation"]
    for part, key in (("generation", "n_samples"), ("data", "n_reference")):
        if ev["selection"] == "cv" and ev["cv_folds"] > section[part][key]:
            raise ConfigError(f"{name}.evaluation.cv_folds exceeds {name}.{part}.{key}")


class Grid(Dataset):
    name = "grid"
    title = "grid"
    prose = "the grid"
    metric = Metric("test_log_likelihood", "test log-likelihood", "nats", higher_is_better=True)
    # the GAN literature's mode-collapse numbers (couae.grid.evaluation.mode_statistics)
    side_metrics = (
        Metric("modes_covered", "modes", "of the mixture's", higher_is_better=True),
        Metric("high_quality", "high quality", "share of samples", higher_is_better=True),
        Metric("mode_kl", "mode KL", "nats", higher_is_better=False),
    )
    paper = PaperResults(
        iterations=3_000_000,
        table1={"VAE": (-4.4, 0.2), "WAE": (-6.4, 1.1), "CouAE": (-4.3, 0.1)},
        table2={0.25: (-5.8, 0.4), 0.5: (-4.8, 0.4), 1.0: (-4.3, 0.1)},
        # -4.3 +- 0.1 against the VAE's -4.4 +- 0.2: at least as good, not better
        table1_claims={"WAE": BETTER, "VAE": AT_LEAST},
    )

    # where its files live ({variant}, {experiment}, {width} are the rules' wildcards)
    DATA = "results/grid/{variant}/data.npz"
    RUN = "results/grid/{variant}/train/{experiment}/width{width}"  # a width's folder
    BLOCK = RUN + "/block{block}"  # one job's: its seeds' seed<k>/ folders, snapshots, provenance
    EVAL = "results/grid/{variant}/eval/{experiment}/width{width}/block{block}"
    REFERENCE = "results/grid/{variant}/eval/reference.csv"
    TUNING = "results/grid/{variant}/tuning/{experiment}"
    TRAIN_BENCHMARK = "results/benchmarks/grid_train/{variant}_{experiment}_width{width}_block{block}.tsv"
    PACK_LOG = "logs/grid/packs/{pack}.log"  # a pack job's (couae.grid.packs), named <group>_block<block>
    PACK_BENCHMARK = "results/benchmarks/grid_pack/{pack}.tsv"
    EVAL_BENCHMARK = "results/benchmarks/grid_eval/{variant}_{experiment}_width{width}_block{block}.tsv"

    def variants(self, config) -> list[str]:
        return G.variants(config)

    def variant_titles(self, config) -> dict[str, str]:
        return G.variant_descriptions(config)

    def paper_variants(self, config) -> list[str]:
        return G.paper_variants(config)

    def seeds_per_job(self, config) -> int:
        """Seeds s // seeds_per_job share a job (one process trains them batched)."""
        return config["grid"]["training"]["seeds_per_job"]

    def blocks(self, config) -> dict[int, list[int]]:
        return G.seed_blocks(config)

    def sample_values(self, config) -> int:
        return G.POINT_DIM

    def layer_units(self, config) -> list[int]:
        return [config["grid"]["model"]["hidden"]]

    def recon_weight(self, config) -> float:
        return G.GridTraining.recon_weight

    def n_train(self, config):
        return config["grid"]["data"]["n_train"], "grid.data.n_train"

    def check(self, config) -> None:
        grid = config["grid"]
        allowed = grid.get("variants_run")
        if isinstance(allowed, list) and set(allowed) - set(grid["variants"]):
            raise ConfigError(f"grid.variants_run names {sorted(set(allowed) - set(grid['variants']))}, "
                              f"not variants of grid.variants ({', '.join(grid['variants'])})")  # fmt: skip
        if not self.variants(config):
            raise ConfigError("grid.variants: every variant is skipped (skip: true, or left out by grid.variants_run)")
        for name, entry in grid["variants"].items():
            self._check_mixture(f"grid.variants.{name}", entry)
        off_block = [s for s in grid["training"]["snapshots"] if s % grid["training"]["log_every"]]
        if off_block:
            raise ConfigError(
                f"grid.training.snapshots must be multiples of grid.training.log_every "
                f"({grid['training']['log_every']}); {off_block} are not"
            )
        self._check_tuning(config)
        check_cv_folds("grid", grid)

    @staticmethod
    def _check_mixture(where: str, entry) -> None:
        """One variant's mixture: one shape's keys (couae.grid.settings.SHAPES), a std per centre where
        a list, no two centres in one place."""
        try:
            shape = G.shape_of(entry)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        std = entry["std"]
        if isinstance(std, list) and shape != "points":
            raise ConfigError(f"{where}.std: one std per centre needs centres; a {shape} takes one number")
        if shape != "points":
            return
        centres = [tuple(c) for c in entry["centres"]]
        if isinstance(std, list) and len(std) != len(centres):
            raise ConfigError(f"{where}.std: {len(std)} stds for {len(centres)} centres")
        doubled = sorted({c for c in centres if centres.count(c) > 1})
        if doubled:
            raise ConfigError(f"{where}.centres: {doubled} listed more than once (one mode per centre)")

    @staticmethod
    def _check_tuning(config) -> None:
        """Tuning rows are extension rows that run; each candidate's settings resolve."""
        from ..config import check_experiment  # here: couae.config reads the adapters
        from .tuning import describe

        grid = config["grid"]
        for name in grid["tuning"]["rows"]:
            where = f"grid.tuning.rows.{name}"
            if name not in grid["experiments"]:
                raise ConfigError(f"{where}: not an experiment of grid.experiments")
            if grid["experiments"][name].get("paper"):
                raise ConfigError(f"{where}: {name} plays the paper's {grid['experiments'][name]['paper']} column; "
                                  "the paper's own rows keep the paper's settings")  # fmt: skip
            for k, overrides in enumerate(G.candidates(config, name)):
                said = f"{where}: candidate {k} ({describe(overrides)})"
                try:
                    # its overridden entry is checked as any experiment's: a mistyped path (kernal_params.eps)
                    # would otherwise add a key nothing reads, and train the row's own settings under its name
                    check_experiment(G.with_overrides(config, name, overrides), "grid", name)
                    G.tuning_training_settings(config, G.variants(config)[0], name, k)
                except (ConfigError, KeyError, TypeError) as exc:
                    raise ConfigError(f"{said}: {exc}") from exc
        unknown = [name for name in grid["tuned"] if name not in grid["experiments"]]
        if unknown:
            raise ConfigError(f"grid.tuned names {unknown}, not experiments of grid.experiments")

    # --- files -------------------------------------------------------------------------------

    def tuning_files(self, config) -> list[str]:
        """Every tuning candidate's scores, per variant."""
        return [
            f"{self.TUNING.format(variant=v, experiment=e)}/candidate{k}.csv"
            for v in self.variants(config)
            for e in G.tuned_rows(config)
            for k in range(len(G.candidates(config, e)))
        ]

    def tuning_budget(self, config) -> str:
        t = config["grid"]["tuning"]
        return f"{t['iterations']} iterations, {len(t['seeds'])} seeds, width x{t['width']:g}"

    def tuning_notes(self, config) -> list[str]:
        return [
            f"every extension row's candidates (grid.tuning.rows, every combination) at one budget: "
            f"{self.tuning_budget(config)}, on every grid variant; score: the KDE log-likelihood of the generated "
            "samples on the validation split (the test split untouched), mean over seeds (mean_<variant>, with its "
            "sample std over seeds, std_<variant>) and over variants (score); chosen: the best score, whatever the "
            "spread. fewest_modes_covered: the fewest modes a seed covers.",
            "results/tuning/tuned.yaml runs the chosen settings: --configfile results/tuning/tuned.yaml.",
        ]

    def outputs(self, config, pattern: str) -> list[str]:
        """`pattern` filled for every variant, configured (experiment, width) and block of seeds."""
        every, blocks = runs(config, "grid"), self.blocks(config)
        return [
            pattern.format(variant=v, experiment=e, width=w, block=b)
            for v in self.variants(config)
            for e, w in every
            for b in blocks
        ]

    def seed_file(self, config, variant: str, experiment: str, width: str, seed: int, name: str) -> str:
        """A seed's file in its block's folder."""
        block = seed // self.seeds_per_job(config)
        return (
            f"{self.BLOCK.format(variant=variant, experiment=experiment, width=width, block=block)}/seed{seed}/{name}"
        )

    def figure2_blocks(self, config, variant: str) -> list[str]:
        """Every block folder of each experiment at its main width (Figure 2's inputs)."""
        return [
            self.BLOCK.format(variant=variant, experiment=e, width=w, block=b)
            for e, w in main_widths(config, "grid").items()
            for b in self.blocks(config)
        ]

    def figure2_files(self, config, variant: str, name: str) -> list[str]:
        """Per experiment, `name` of its first seed at its main width (Figure 2)."""
        first = self.seeds(config)[0]
        return [self.seed_file(config, variant, e, w, first, name) for e, w in main_widths(config, "grid").items()]

    def figure2_losses(self, config, variant: str) -> list[str]:
        """Per experiment, the loss histories of every seed at its main width."""
        return [
            self.seed_file(config, variant, e, w, seed, "loss.csv")
            for e, w in main_widths(config, "grid").items()
            for seed in self.seeds(config)
        ]

    def evaluations(self, config) -> list[str]:
        return self.outputs(config, f"{self.EVAL}.csv")

    def references(self, config) -> list[str]:
        return [self.REFERENCE.format(variant=v) for v in self.variants(config)]

    def provenance(self, config) -> list[str]:
        return [
            *self.outputs(config, f"{self.BLOCK}.provenance.json"),
            *self.outputs(config, f"{self.EVAL}.provenance.json"),
        ]

    def benchmarks(self, config) -> list[str]:
        packs = self.packs(config)
        training = (
            [self.PACK_BENCHMARK.format(pack=p.name) for p in packs]
            if packs
            else self.outputs(config, self.TRAIN_BENCHMARK)
        )
        return training + self.outputs(config, self.EVAL_BENCHMARK)

    # --- packs: many runs trained by one job ----------------------------------------------------

    def packs(self, config) -> list[G.Pack]:
        """The pack jobs of this config (grid.training.pack; auto: packs where this machine's GPU trains the grid)."""
        return G.packs(config, on_gpu=gpu_claim(self.device(config), on_cluster=False) > 0)

    def pack_files(self, config, pack: G.Pack, pattern: str) -> list[str]:
        """`pattern` (a BLOCK path, say) filled for every run of `pack`."""
        return [pattern.format(variant=v, experiment=e, width=w, block=pack.block) for v, e, w in pack.runs]

    def pack_runs(self, config, pack: G.Pack) -> list[dict]:
        """What the pack job needs of each of its runs: settings and files (grid_pack.py's --runs)."""
        out = []
        for variant, experiment, width in pack.runs:
            block = self.BLOCK.format(variant=variant, experiment=experiment, width=width, block=pack.block)
            out.append(
                {
                    "settings": G.grid_training_settings(config, variant, experiment, width, pack.block).to_dict(),
                    "data": self.DATA.format(variant=variant),
                    "out_dir": block,
                    "snapshots": f"{block}.snapshots.pt",
                    "checkpoint": f"{block}.checkpoint.pt",
                    "provenance": f"{block}.provenance.json",
                }
            )
        return out

    def figures(self, config) -> list[str]:
        return [
            f"results/figures/{name}_{v}.{ext}"
            for name in ("figure2", "convergence")
            for v in self.variants(config)
            for ext in ("png", "pdf")
        ]

    def targets(self, config) -> list[str]:
        convergence = [f"results/tables/convergence.{ext}" for ext in ("csv", "md", "html")]
        return self.figures(config) + convergence + self.evaluations(config) + self.references(config)

    # --- words -------------------------------------------------------------------------------

    def notes(self, config) -> list[str]:
        t = config["grid"]["training"]
        tuned = [
            f"grid {name}: tuned, {text}." for name, text in config["grid"]["tuned"].items()
            if name in self.experiments(config)
        ]  # fmt: skip
        return [
            f"grid: {t['iterations']} iterations, batch {t['batch_size']}, lambda {t['lambda']:g}; "
            f"KDE bandwidth chosen by {_selection(config)}.",
            "grid log-likelihood: nats per 2-D test point. The paper does not state its unit; read per dimension or "
            "in log10 its values become reachable under the cited grid's ceiling (docs/results.md).",
            "grid mode collapse, as the GAN literature reports it (means over seeds): a sample within "
            f"{config['grid']['evaluation']['modes']['radius_stds']:g} stds of its nearest centre is of high quality; "
            f"modes: centres with at least {config['grid']['evaluation']['modes']['min_samples']} such samples; "
            "high quality: their share; mode KL: KL of their histogram over the centres from the uniform one (nats; "
            "0: every mode equally often; log K for K centres, 3.22 for 25: one mode).",
            *self.experiment_notes(config),
            *tuned,
        ]

    def caveat_notes(self, config) -> list[str]:
        shortened = caveats.shortened_run("grid", config["grid"]["training"]["iterations"], self.paper.iterations)
        return [shortened] if shortened else []

    def convergence_notes(self, config) -> list[str]:
        """The notes of the convergence table (the grid's own: its snapshots)."""
        t = config["grid"]["training"]
        return self.caveat_notes(config) + [
            "per variant, experiment, width and step: the test log-likelihood (same KDE protocol as Table 1: "
            f"bandwidth by {_selection(config)}) over the seeds: mean, sample std, min and max; the last step is "
            "Table 1-2's evaluation.",
            f"steps: the snapshots {', '.join(str(s) for s in t['snapshots'] if s < t['iterations'])} and the last, "
            f"{t['iterations']}.",
        ]

    def captions(self, config) -> dict[str, str]:
        t = config["grid"]["training"]
        return {
            "tuning": (
                "The tuning rule for the rows without the paper's settings: each row's declared candidates trained "
                f"at one budget ({self.tuning_budget(config)}) on every grid variant and scored by the KDE "
                "log-likelihood of their samples on the validation split; the chosen setting is written to "
                "results/tuning/tuned.yaml."
            ),
            "figure2": (
                "Figure 2, one per grid data set variant: samples generated by each experiment (first seed, at its "
                "width x1 or largest, decoder applied to N(0, I) draws) beside the variant's true data, and the "
                "training loss of every seed (mean per logging block)."
            ),
            "convergence": (
                "Test log-likelihood on the grid against training steps, per data set variant: the mean over seeds "
                "(line) and the range over seeds (band) for each experiment, one panel per width; dashed, the "
                "variant's ceilings (the true density and a KDE on true samples). The last step "
                f"({t['iterations']}) is Tables 1-2's evaluation; earlier points are networks kept during the same "
                "runs. The title gives the verdicts of the paper's grid claims for that variant "
                "(results/tables/claims.csv)."
            ),
        }

    def summary(self, config) -> str:
        grid = config["grid"]
        variants = "; ".join(f"{name} ({text})" for name, text in self.variant_titles(config).items())
        return (
            f"Grid: data sets {variants}. Experiments {', '.join(self.experiments(config))}; "
            f"{grid['training']['iterations']} iterations (paper {self.paper.iterations}), "
            f"{len(grid['training']['seeds'])} seeds."
        )

    def table1_caption(self, config) -> str:
        variants = "; ".join(f"{name}: {d}" for name, d in self.variant_titles(config).items())
        return (
            "Grid: test log-likelihood, a block per grid data set variant, each closed by its ceilings (the true "
            f"density and a KDE on true samples); variants: {variants}. Log-likelihood: Gaussian KDE on the "
            f"generated samples, bandwidth chosen among {_bandwidths(config)} by {_selection(config)}; "
            f"{config['grid']['training']['iterations']} training iterations. "
            + " ".join(self.experiment_notes(config))
        ).strip()
