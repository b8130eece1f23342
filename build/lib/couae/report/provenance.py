"""What made a result: settings, code version, package versions, device, time.

Every job that produces numbers writes one of these records beside its
outputs; the tables summarise them in a footer.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from ..runtime.atomic import save_text

REPO_ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("torch", "snakemake", "pytorch-fid", "numpy", "scipy", "scikit-learn")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(repo: Path = REPO_ROOT) -> str:
    """HEAD's hash, with '-dirty' when tracked files differ from it; 'unknown'
    outside a git checkout (an exported copy of the workflow, say)."""

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout

    try:
        head = git("rev-parse", "HEAD").strip()
        dirty = git("status", "--porcelain", "--untracked-files=no").strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def record(settings: dict, device: str, wall_seconds: float, **extra) -> dict:
    return {
        "settings": settings,
        "git_commit": git_commit(),
        "versions": package_versions(),
        "device": device,
        "host": platform.node(),
        "wall_seconds": round(wall_seconds, 3),
        **extra,
    }


def save(rec: dict, path) -> None:
    save_text(json.dumps(rec, indent=2) + "\n", path)


def footer(records: list[dict]) -> str:
    """One line naming what made a set of results (for the tables)."""
    if not records:
        return "provenance: none recorded"
    commits = sorted({r["git_commit"] for r in records})
    devices = sorted({r["device"] for r in records})
    versions = records[0]["versions"]
    mixed = [k for k in versions if len({r["versions"].get(k) for r in records}) > 1]
    # the runs of one pack job (couae.core.pack) each record the pack's time: counted once
    packs: dict[str, float] = {}
    alone = 0.0
    for r in records:
        if "pack" in r:
            packs[r["pack"]["name"]] = max(packs.get(r["pack"]["name"], 0.0), r["wall_seconds"])
        else:
            alone += r["wall_seconds"]
    hours = (alone + sum(packs.values())) / 3600
    jobs = len(records) - sum(1 for r in records if "pack" in r) + len(packs)
    text = (
        f"provenance: commit {', '.join(c[:12] + ('-dirty' if c.endswith('-dirty') else '') for c in commits)}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f"; devices: {', '.join(devices)}; total job wall time {hours:.2f} h over {jobs} jobs"
    )
    if mixed:
        text += f"; WARNING: jobs ran with different versions of {', '.join(mixed)}"
    return text
