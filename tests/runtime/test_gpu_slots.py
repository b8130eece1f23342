"""GPU slots on a CPU machine, with a simulated device count."""

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, load_config

# A child that is to run as another user switches once its modules are loaded (the
# interpreter may live where only root can read, as pyenv's under /root does).
SWITCH_USER = """
import os, sys
sys.path.insert(0, {lib!r})
{imports}
if os.environ.get("AS_UID"):
    uid = int(os.environ["AS_UID"])
    os.setgid(uid)
    os.setgroups([])
    os.setuid(uid)
    os.umask(0o022)
"""

HOLDER = (
    SWITCH_USER.replace("{imports}", "from couae.runtime.gpu_slots import claim_gpu\nimport select, time")
    + """
claim_gpu(float(os.environ.get("SHARE", "1")))
print(os.environ["CUDA_VISIBLE_DEVICES"], flush=True)
if sys.argv[1] == "fail":
    raise SystemExit(3)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
"""
)


def start(tmp_path, mode="hold", env_extra=None, uid=None, code=HOLDER):
    env = dict(os.environ, COUAE_GPU_COUNT="2", COUAE_GPU_SLOT_DIR=str(tmp_path / "slots"))
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.update(env_extra or {})
    if uid is not None:
        env["AS_UID"] = str(uid)
    code = code.format(lib=str(REPO / "workflow"))
    return subprocess.Popen([sys.executable, "-c", code, mode, str(tmp_path / "release")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


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


OTHER_USERS = (65534, 1)  # nobody, daemon: present on every Debian-like system
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching between two users needs root")


@pytest.fixture
def machine_tmp():
    """A folder every user can reach, as /tmp is (pytest's own is its user's alone)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="couae-users-"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


@needs_root
@pytest.mark.parametrize("share", ["1", "0.5"])
def test_two_users_share_the_gpus_of_one_machine(machine_tmp, share):
    """The first user's job makes the slot folder; the second user's jobs use it and
    see the first's claims: with one GPU, whole-GPU jobs wait for each other, and at
    share 0.5 two jobs (one per user) run on it while a third waits."""
    one_gpu = {"COUAE_GPU_COUNT": "1", "SHARE": share}
    first = start(machine_tmp, env_extra=one_gpu, uid=OTHER_USERS[0])
    assert first_line(first) == "0"
    folder = machine_tmp / "slots"
    assert folder.stat().st_mode & 0o7777 == 0o1777, oct(folder.stat().st_mode)
    waiting = []
    if share == "0.5":
        beside = start(machine_tmp, env_extra=one_gpu, uid=OTHER_USERS[1])
        assert first_line(beside) == "0", beside.stderr.read()
        waiting.append(beside)
    second = start(machine_tmp, env_extra=one_gpu, uid=OTHER_USERS[1])
    assert not select.select([second.stdout], [], [], 2.0)[0], "a second user's job took a slot already held"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first_line(second) == "0", second.stderr.read()
    (machine_tmp / "release").touch()
    for proc in [second, *waiting]:
        assert proc.wait(timeout=20) == 0, proc.stderr.read()


JOB_START = (
    SWITCH_USER.replace(
        "{imports}", "import torch\nfrom couae import jobs\nfrom couae.runtime import devices, gpu_slots"
    )
    + """
jobs.start_device_job(1, "auto")
"""
)

START_CHECK = (
    SWITCH_USER.replace("{imports}", "from couae.runtime import gpu_slots")
    + """
print(gpu_slots.slot_dir_problem(gpu_slots.slot_dir()))
"""
)


@needs_root  # a folder of another user's: its owner's jobs widen it themselves
def test_a_slot_folder_this_user_cannot_write_is_named_with_the_fix(machine_tmp):
    """A folder an older version left 0755 (or any folder this user cannot write):
    the job stops with a message naming it and what to do, not a traceback."""
    folder = machine_tmp / "slots"
    folder.mkdir(mode=0o755)  # root's, as a first user's under an older version
    user = OTHER_USERS[0]
    job = start(machine_tmp, uid=user, code=JOB_START)
    out, err = job.communicate(timeout=60)
    assert job.returncode == 1, err
    assert f"cannot create gpu0.lock in the GPU slot folder {folder}" in err, err
    assert "chmod 1777" in err and "COUAE_GPU_SLOT_DIR" in err and "Traceback" not in err, err
    # said at start too, by the Snakemake the user runs (workflow/rules/common.smk)
    asked = start(machine_tmp, uid=user, code=START_CHECK)
    out, err = asked.communicate(timeout=60)
    assert f"GPU jobs cannot take slots in {folder}" in out and "chmod 1777" in out, out + err
    folder.chmod(0o1777)
    asked = start(machine_tmp, uid=user, code=START_CHECK)
    assert asked.communicate(timeout=60)[0].strip() == "None"


def test_lock_files_are_opened_read_only_and_widened_for_other_users(tmp_path):
    """A lock file made under a narrow umask, or by an older version, becomes readable
    by all when its owner next opens it; a file nobody may write still locks."""
    from couae.runtime import gpu_slots

    folder = tmp_path / "slots"
    folder.mkdir(mode=0o700)
    lock = folder / "gpu0.lock"
    lock.touch(mode=0o600)
    lock.chmod(0o600)
    held = gpu_slots._try_whole(0, folder)
    assert held and lock.stat().st_mode & 0o444 == 0o444
    held[0].close()
    gpu_slots.prepare_slot_dir(folder)
    assert folder.stat().st_mode & 0o7777 == 0o1777
    lock.chmod(0o444)
    assert gpu_slots._try_whole(0, folder), "a read-only lock file could not be locked"
