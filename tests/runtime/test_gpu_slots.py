"""GPU slots on a CPU machine, with a simulated device count."""

import os
import select
import signal
import subprocess
import sys

from helpers import REPO

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


def dry_run_resources(tmp_path, device, gpus):
    """The gpu resource each planned grid_train job claims, for `device` on a
    machine with `gpus` (simulated) GPUs."""
    import re

    from helpers import snakemake_command

    over = tmp_path / f"{device}{gpus}.yaml"
    over.write_text(f"device: {device}\n")
    quick = REPO / "presets" / "quick.yaml"
    env = dict(os.environ, COUAE_GPU_COUNT=str(gpus))
    cmd = snakemake_command(tmp_path, "-n", "grid", "--configfile", quick, over, "--resources", "gpu=1")
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = re.split(r"\n(?=rule )", result.stdout)
    return {re.search(r"gpu=(\d+)", j)[1] for j in jobs if j.startswith("rule grid_train:")}


def test_training_jobs_claim_a_gpu_only_where_they_will_use_one(tmp_path):
    # on a CPU-only machine, device auto claims no GPU: --cores N runs jobs side by side
    assert dry_run_resources(tmp_path, "auto", 0) == {"0"}
    assert dry_run_resources(tmp_path, "auto", 1) == {"1"}
    assert dry_run_resources(tmp_path, "cuda", 0) == {"1"}  # a cluster login node without a GPU
    assert dry_run_resources(tmp_path, "cpu", 1) == {"0"}
