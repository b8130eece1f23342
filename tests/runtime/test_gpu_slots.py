"""GPU slots on a CPU machine, with a simulated device count."""

import os
import select
import signal
import subprocess
import sys

import pytest

from helpers import REPO, load_config

HOLDER = """
import os, sys, time
sys.path.insert(0, {lib!r})
from couae.runtime.gpu_slots import claim_gpu
claim_gpu()
print(os.environ["CUDA_VISIBLE_DEVICES"], flush=True)
if sys.argv[1] == "fail":
    raise SystemExit(3)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
"""


def start(tmp_path, mode="hold", env_extra=None):
    env = dict(os.environ, COUAE_GPU_COUNT="2", COUAE_GPU_SLOT_DIR=str(tmp_path / "slots"))
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.update(env_extra or {})
    code = HOLDER.format(lib=str(REPO / "workflow"))
    return subprocess.Popen(
        [sys.executable, "-c", code, mode, str(tmp_path / "release")], env=env, stdout=subprocess.PIPE, text=True
    )


def first_line(proc, timeout=20.0):
    """The device a holder was given (it prints once it holds its slot)."""
    assert select.select([proc.stdout], [], [], timeout)[0], "no slot within the timeout"
    return proc.stdout.readline().strip()


def test_concurrent_jobs_get_distinct_devices_and_the_third_waits(tmp_path):
    a, b = start(tmp_path), start(tmp_path)
    assert {first_line(a), first_line(b)} == {"0", "1"}
    c = start(tmp_path)
    assert not select.select([c.stdout], [], [], 2.0)[0], "a third job got a slot while both were taken"
    a.send_signal(signal.SIGKILL)  # a failed (killed) job releases its slot
    a.wait()
    got = first_line(c)
    (tmp_path / "release").touch()
    for p in (b, c):
        p.wait(timeout=20)
    assert got in {"0", "1"}


def test_slot_is_released_when_the_job_fails(tmp_path):
    failing = start(tmp_path, "fail")
    assert first_line(failing) == "0"
    assert failing.wait(timeout=20) == 3
    nxt = start(tmp_path)
    assert first_line(nxt) == "0"  # slot 0 is free again
    (tmp_path / "release").touch()
    nxt.wait(timeout=20)


def test_a_scheduler_choice_is_respected(tmp_path):
    proc = start(tmp_path, env_extra={"CUDA_VISIBLE_DEVICES": "5"})
    assert first_line(proc) == "5"
    (tmp_path / "release").touch()
    proc.wait(timeout=20)
    assert not (tmp_path / "slots").exists()


def dry_run_resources(tmp_path, device, gpus, extra=""):
    """The gpu resource each planned grid training job (a run's, or a pack's) claims,
    for `device` on a machine with `gpus` (simulated) GPUs."""
    import re

    from helpers import snakemake_command

    over = tmp_path / f"{device}{gpus}.yaml"
    over.write_text(f"device: {device}\n{extra}")
    quick = REPO / "presets" / "quick.yaml"
    env = dict(os.environ, COUAE_GPU_COUNT=str(gpus))
    cmd = snakemake_command(tmp_path, "-n", "grid", "--configfile", quick, over, "--resources", "gpu=1")
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = re.split(r"\n(?=rule )", result.stdout)
    training = [j for j in jobs if re.match(r"rule grid_(train|pack_\w+):", j)]
    assert training, result.stdout[-3000:]
    return {float(re.search(r"gpu=([\d.]+)", j)[1]) for j in training}


def test_training_jobs_claim_a_gpu_only_where_they_will_use_one(tmp_path):
    # on a CPU-only machine, device auto claims no GPU: --cores N runs jobs side by side
    assert dry_run_resources(tmp_path, "auto", 0) == {0.0}
    assert dry_run_resources(tmp_path, "cpu", 1) == {0.0}
    assert dry_run_resources(tmp_path, "auto", 1, "grid: {device: cpu}\n") == {0.0}  # the grid's own device
    # a grid job on a GPU at a share below 1 declares gpu=0 (Snakemake's resources are whole
    # numbers); couae.runtime.gpu_slots places 1 / share of them on each device
    assert load_config()["grid"]["gpu_share"] < 1
    assert dry_run_resources(tmp_path, "auto", 1) == {0.0}
    assert dry_run_resources(tmp_path, "cuda", 0) == {0.0}
    assert dry_run_resources(tmp_path, "cuda", 0, "grid: {gpu_share: 1.0}\n") == {1.0}  # a whole GPU each


def test_gpu_claims_follow_the_device_under_a_cluster_executor():
    from couae.runtime.gpu_slots import gpu_claim

    assert gpu_claim("auto", on_cluster=True) == 1  # the job runs on a node the scheduler picks
    assert gpu_claim("cpu", on_cluster=True) == 0 and gpu_claim("cuda", on_cluster=False) == 1
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        gpu_claim("tpu", on_cluster=False)


def test_shares_of_one_gpu_go_to_jobs_side_by_side_and_beside_a_whole_gpu_job(tmp_path):
    """Two jobs at share 0.5 get the same device; a third waits; a whole-GPU job
    (CelebA) runs beside them, and a second whole-GPU job waits for the first."""
    from couae.runtime import gpu_slots

    folder = tmp_path / "slots"
    folder.mkdir()
    first = gpu_slots._try_share(0, folder, 0.5)
    second = gpu_slots._try_share(0, folder, 0.5)
    assert first and second
    assert gpu_slots._try_share(0, folder, 0.5) is None  # both places taken
    whole = gpu_slots._try_whole(0, folder)
    assert whole, "a CelebA job waited for grid jobs (latency-bound: they leave the device idle)"
    assert gpu_slots._try_whole(0, folder) is None  # one whole-GPU job per device
    for handle in first + second + whole:
        handle.close()
    assert gpu_slots._try_share(0, folder, 0.5) and gpu_slots._try_whole(0, folder)
    assert gpu_slots.places(0.25) == 4 and gpu_slots.places(0.3) == 3
    with pytest.raises(ValueError, match="a GPU share is in"):
        gpu_slots.places(0.0)
