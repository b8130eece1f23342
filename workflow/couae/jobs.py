"""What every job script does around its work: logging, CPU threads, a GPU
slot and device, and for training jobs the one sequence they share (resume,
train, save, provenance). The scripts' layer: it uses the training loop
(`couae.core`), the provenance records (`couae.report`) and the machine
(`couae.runtime`), and nothing in the library imports it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

INTERRUPTED = 75  # EX_TEMPFAIL: stopped on a signal after a checkpoint; run the job again to resume


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def start_job(threads: int) -> None:
    """Logging and the job's CPU threads."""
    import torch

    setup_logging()
    torch.set_num_threads(threads)


def start_device_job(threads: int, device: str, gpu_share: float = 1.0):
    """As `start_job`, and unless pinned to the CPU a free GPU slot (claimed
    before CUDA starts, so that jobs side by side get distinct devices, or
    share one at `gpu_share` each). Returns the torch device the job runs on."""
    from .runtime.devices import resolve_device
    from .runtime.gpu_slots import GpuSlotError, claim_gpu

    start_job(threads)
    if device != "cpu":
        try:
            claim_gpu(gpu_share)
        except GpuSlotError as exc:
            raise SystemExit(f"error: {exc}") from None  # a message that says what to do, not a traceback
    return resolve_device(device)


def read_input(read: Callable, *args):
    """read(*args); an input that cannot be used (a DamagedFileError, which
    names the file and the fix) stops the job with that message, not a traceback."""
    from .runtime.loading import DamagedFileError

    try:
        return read(*args)
    except DamagedFileError as exc:
        raise SystemExit(f"error: {exc}") from None


def training_job(
    run,
    settings,
    checkpoint,
    provenance_path,
    device,
    threads: int,
    save_outputs: Callable,
    before_training: Callable | None = None,
    on_progress: Callable | None = None,
    **record,
) -> int:
    """Resume `run` from `checkpoint` when it holds these `settings` (else
    call `before_training(run)`), train it to the end, `save_outputs(run)`,
    then write the provenance record (with `record`'s extra fields). Returns
    the exit status: 1, with the reason logged, when training stops on a
    non-finite loss or a checkpoint that cannot be read; INTERRUPTED when a
    SIGTERM or SIGUSR1 (a scheduler's time limit, its warning, preemption)
    stopped it after a checkpoint at the current step: not a success, so
    Snakemake re-runs (or resubmits) the job, which resumes there."""
    from .core.training import CheckpointError, Interrupted, NonFiniteLossError, StopRequest, resume_and_train
    from .report import provenance

    stop = StopRequest().install()
    log.info("a SIGTERM or SIGUSR1 stops this job after a checkpoint at the next step")
    try:
        outcome = resume_and_train(run, settings, checkpoint, before_training, on_progress, stop)
    except Interrupted as exc:
        log.warning("%s: exit %d, so that the job is run again and resumes from it", exc, INTERRUPTED)
        return INTERRUPTED
    except (NonFiniteLossError, CheckpointError) as exc:
        log.error("%s", exc)
        return 1
    save_outputs(run)
    # wall time: training summed over every process that worked on this run
    provenance.save(
        provenance.record(
            settings.to_dict(),
            str(device),
            run.training_seconds,
            resumed_from_step=outcome.first_step,
            threads=threads,
            compile_mode=getattr(run.step_fn, "mode", "eager"),  # the finishing process's (couae.core.accelerate)
            this_process_seconds=round(outcome.process_seconds, 3),
            **record,
        ),
        provenance_path,
    )
    return 0


def pack_job(train: Callable, runs: list, device, threads: int, save_outputs: Callable, **record) -> int:
    """A pack job's sequence (couae.core.pack): `train(stop)` resumes and
    trains the pack's runs and returns its members, in the order of `runs`
    ((settings, provenance path) each); then each run's outputs
    (`save_outputs(k, run)`) and provenance are written. Returns 1 when a
    checkpoint cannot be read or a run stopped on a non-finite loss (the
    other runs' outputs are written first), INTERRUPTED as `training_job`."""
    import time

    from .core.training import CheckpointError, Interrupted, StopRequest
    from .report import provenance

    stop = StopRequest().install()
    log.info("a SIGTERM or SIGUSR1 stops this job after every run's checkpoint at the next step")
    start = time.perf_counter()
    try:
        members = train(stop)
    except Interrupted as exc:
        log.warning("%s: exit %d, so that the job is run again and resumes from it", exc, INTERRUPTED)
        return INTERRUPTED
    except CheckpointError as exc:
        log.error("%s", exc)
        return 1
    seconds = time.perf_counter() - start
    failed = [m for m in members if m.error is not None]
    for k, ((settings, provenance_path), member) in enumerate(zip(runs, members, strict=True)):
        if member.error is not None:
            continue
        save_outputs(k, member.run)
        provenance.save(
            provenance.record(
                settings.to_dict(),
                str(device),
                member.run.training_seconds,
                resumed_from_step=member.first_step,
                threads=threads,
                compile_mode=member.mode,
                this_process_seconds=round(seconds, 3),
                **record,
            ),
            provenance_path,
        )
    for member in failed:
        log.error("%s: %s", member.checkpoint_path, member.error)
    return 1 if failed else 0
