"""Where the FID Inception weights live: pytorch-fid's
`pt_inception-2015-12-05-6726825d.pth`, in torch.hub's folder or a configured
one, verified by the hash in its name and downloaded when absent. Standard
library only: the workflow checks for the file when it starts."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..runtime.downloads import DownloadError, download, verify_checksum

log = logging.getLogger(__name__)

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_SHA256_PREFIX = "6726825d"  # torch.hub's convention: the name carries the hash prefix


def torch_hub_dir() -> Path:
    """torch.hub's default folder, found as torch finds it: $TORCH_HOME/hub,
    else $XDG_CACHE_HOME/torch/hub, else ~/.cache/torch/hub."""
    home = os.environ.get("TORCH_HOME") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")) / "torch"
    return Path(home).expanduser() / "hub"


def hub_dir(weights_dir: str | None) -> Path:
    """The torch.hub folder the weights live under (`<dir>/checkpoints/<file>`)."""
    return Path(weights_dir).expanduser() if weights_dir else torch_hub_dir()


def weights_path(weights_dir: str | None) -> Path:
    return hub_dir(weights_dir) / "checkpoints" / WEIGHTS_FILE


def where_to_put_weights(path: Path) -> str:
    return (
        f"Download {WEIGHTS_FILE} from https://github.com/mseitzer/pytorch-fid/releases/tag/fid_weights and place "
        f"it at\n  {path}\n(or set celeba.fid.weights_dir to a folder whose checkpoints/ holds it)."
    )


def ensure_weights(weights_dir: str | None, url: str | None, retries: int) -> Path:
    """The Inception weights file under <weights_dir>/checkpoints/ (torch.hub's
    folder when no dir is given), verified against the hash in its name, and
    downloaded from `url` when absent. A file the user placed is never moved or
    deleted. Raises DownloadError or ChecksumError."""
    path = weights_path(weights_dir)
    if not path.is_file():
        if not url:
            raise DownloadError("no celeba.fid.weights_url configured")
        log.info("fetching %s -> %s", url, path)
        download(url, path, sha256_prefix=WEIGHTS_SHA256_PREFIX, retries=retries)
    verify_checksum(path, WEIGHTS_SHA256_PREFIX, "sha256", prefix=True)
    return path
