"""Fetching one file over HTTP(S): resume a partial transfer, retry, verify.

The bytes arrive in `<dest>.part`; an interrupted transfer leaves it there and
the next attempt (in this process or a later run) asks the server for the rest
with a Range request. Only a complete file whose checksum matches is renamed
to `dest`, so `dest` is never half a file.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20


class DownloadError(RuntimeError):
    pass


class ChecksumError(ValueError):
    pass


def file_digest(path, algorithm: str = "md5") -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


def verify_checksum(path, expected: str, algorithm: str = "md5", prefix: bool = False) -> None:
    """Raise ChecksumError naming the file unless its digest is `expected`
    (or starts with it, for torch.hub-style short hashes)."""
    actual = file_digest(path, algorithm)
    ok = actual.startswith(expected.lower()) if prefix else actual == expected.lower()
    if not ok:
        raise ChecksumError(f"{path}: {algorithm} is {actual}, expected {expected}" + (" (prefix)" if prefix else ""))


def _transfer(url: str, part: Path, timeout: float) -> None:
    """One attempt: append the missing bytes to `part` (all of them if the
    server ignores ranges). Raises on any short or failed transfer."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to send: the part is complete
            return
        raise
    with response:
        resumed = have and response.status == 206
        if have and not resumed:
            log.info("%s: server ignored the range request; downloading from the start", url)
            have = 0
        length = response.headers.get("Content-Length")
        expected_total = have + int(length) if length is not None else None
        with open(part, "ab" if resumed else "wb") as fh:
            while chunk := response.read(CHUNK_BYTES):
                fh.write(chunk)
    size = part.stat().st_size
    if expected_total is not None and size != expected_total:
        raise DownloadError(f"transfer of {url} stopped at {size} of {expected_total} bytes")


def download(
    url: str,
    dest,
    *,
    retries: int,  # from the config (celeba.data.retries), never a library default
    md5: str | None = None,
    sha256_prefix: str | None = None,
    timeout: float = 60.0,
    backoff_seconds: float = 2.0,
) -> Path:
    """Download `url` to `dest` (resuming `<dest>.part`), verify, rename.

    A checksum mismatch deletes the downloaded part (it is our own file, and
    resuming it would only reproduce the mismatch) and raises ChecksumError.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, retries + 1):
        try:
            _transfer(url, part, timeout)
            break
        except (OSError, urllib.error.URLError, http.client.HTTPException, DownloadError) as exc:
            kept = part.stat().st_size if part.exists() else 0
            log.warning(
                "download of %s, attempt %d/%d failed (%s); %d bytes kept in %s", url, attempt, retries, exc, kept, part
            )
            if attempt == retries:
                raise DownloadError(
                    f"could not download {url} to {dest} in {retries} attempts ({exc}); "
                    f"{kept} bytes are kept in {part} and resumed on the next run"
                ) from exc
            time.sleep(backoff_seconds * 2 ** (attempt - 1))
    try:
        if md5 is not None:
            verify_checksum(part, md5, "md5")
        if sha256_prefix is not None:
            verify_checksum(part, sha256_prefix, "sha256", prefix=True)
    except ChecksumError as exc:
        part.unlink()
        raise ChecksumError(f"download of {url} is corrupt: {exc}; the bad file was deleted") from exc
    os.replace(part, dest)
    return dest
