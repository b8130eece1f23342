import json
import subprocess

from couae.report import provenance


def test_record_names_commit_versions_device_and_time(tmp_path):
    rec = provenance.record({"lr": 0.001}, "cpu", 12.5, threads=2)
    head = subprocess.run(
        ["git", "-C", str(provenance.REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert rec["git_commit"].startswith(head) if head else rec["git_commit"] == "unknown"
    assert rec["versions"]["torch"].startswith("2.") and rec["versions"]["pytorch-fid"]
    assert rec["device"] == "cpu" and rec["wall_seconds"] == 12.5 and rec["settings"] == {"lr": 0.001}
    provenance.save(rec, tmp_path / "p.json")
    assert json.loads((tmp_path / "p.json").read_text()) == rec


def test_git_commit_outside_a_checkout_is_unknown(tmp_path):
    assert provenance.git_commit(tmp_path) == "unknown"


def test_footer_summarises_and_warns_on_mixed_versions():
    a = {
        "git_commit": "a" * 40,
        "versions": {"python": "3.11.7", "torch": "2.13.0"},
        "device": "cpu",
        "wall_seconds": 1800.0,
    }
    b = dict(a, device="cuda", versions={"python": "3.11.7", "torch": "2.12.0"})
    text = provenance.footer([a, b])
    assert "commit aaaaaaaaaaaa" in text and "devices: cpu, cuda" in text and "1.00 h over 2 jobs" in text
    assert "WARNING" in text and "torch" in text.split("WARNING")[1]
    assert "WARNING" not in provenance.footer([a, a])


def test_footer_counts_a_pack_job_once():
    """Every run of a pack records the pack's time (couae.core.pack): the footer counts the job, not its runs."""
    alone = {"git_commit": "a" * 40, "versions": {"torch": "2.13.0"}, "device": "cpu", "wall_seconds": 1800.0}
    packed = [dict(alone, wall_seconds=3600.0, pack={"name": "mmd_block0", "runs": 3}) for _ in range(3)]
    assert "1.50 h over 2 jobs" in provenance.footer([alone, *packed])
