"""The CelebA files: where they come from and whether they are what we expect.

Two files make the dataset: `img_align_celeba.zip` (or its extracted folder of
JPEGs) and `list_eval_partition.txt` (one `<name>.jpg <split>` line per image).
Sources are tried in the configured order: an extracted folder, a local
archive, a URL (downloaded with resume and retries). Everything checked here
is checked before any image is decoded, and every error names the file.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..runtime.downloads import ChecksumError, download, file_digest, verify_checksum

SPLITS = ("train", "validation", "test")  # the partition file's codes 0, 1, 2

log = logging.getLogger(__name__)

ARCHIVE_NAME = "img_align_celeba.zip"
PARTITION_NAME = "list_eval_partition.txt"
FOLDER_NAME = "img_align_celeba"
_PARTITION_LINE = re.compile(r"^(\S+\.jpg)\s+([0-9]+)$")

# The official aligned set: what the paper (and WAE's code) preprocess.
OFFICIAL_PARTITION_MD5 = "d32c9cbf5e040fd4025c592c306e6668"
OFFICIAL_COUNTS = {"train": 162_770, "validation": 19_867, "test": 19_962}
ALIGNED_SIZE = (178, 218)  # width, height of every image of img_align_celeba


class CelebAFileError(ValueError):
    """A CelebA input file is missing, corrupt or not in the expected format."""


def read_partition(path, md5: str | None = None) -> dict[str, str]:
    """image file name -> split name, in file order; checks md5 first if given."""
    path = Path(path)
    if not path.is_file():
        raise CelebAFileError(f"partition file {path} does not exist")
    if md5 is not None:
        try:
            verify_checksum(path, md5, "md5")
        except ChecksumError as exc:
            raise CelebAFileError(f"partition file is not the official {PARTITION_NAME}: {exc}") from exc
    split_of: dict[str, str] = {}
    with open(path, encoding="ascii", errors="replace", newline=None) as fh:
        for number, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            match = _PARTITION_LINE.match(line)
            if match is None:
                raise CelebAFileError(
                    f"partition file {path}, line {number}: expected '<name>.jpg <0|1|2>', got {line[:60]!r}"
                )
            name, code = match.group(1), int(match.group(2))
            if code >= len(SPLITS):
                raise CelebAFileError(
                    f"partition file {path}, line {number}: split code {code} "
                    "is not 0 (train), 1 (validation) or 2 (test)"
                )
            if name in split_of:
                raise CelebAFileError(f"partition file {path}, line {number}: {name} is listed twice")
            split_of[name] = SPLITS[code]
    if not split_of:
        raise CelebAFileError(f"partition file {path} lists no images")
    return split_of


def split_counts(split_of: dict[str, str]) -> dict[str, int]:
    return {s: sum(1 for v in split_of.values() if v == s) for s in SPLITS}


@dataclass(frozen=True)
class ImageSource:
    """Where the JPEGs are read from: a folder or a zip archive."""

    kind: str  # "folder" or "archive"
    path: Path

    def names(self) -> set[str]:
        if self.kind == "folder":
            return {p.name for p in self.path.iterdir() if p.suffix == ".jpg"}
        with zipfile.ZipFile(self.path) as zf:
            return {Path(n).name for n in zf.namelist() if n.endswith(".jpg")}

    def describe(self) -> str:
        return f"{self.kind} {self.path}"


class ImageReader:
    """Reads JPEG bytes by file name; one per worker process (zip handles are not shared)."""

    def __init__(self, source: ImageSource):
        self.source = source
        self._zip = None
        self._members: dict[str, str] = {}
        if source.kind == "archive":
            self._zip = zipfile.ZipFile(source.path)
            self._members = {Path(n).name: n for n in self._zip.namelist() if n.endswith(".jpg")}

    def read(self, name: str) -> bytes:
        if self._zip is None:
            return (self.source.path / name).read_bytes()
        return self._zip.read(self._members[name])


def open_archive(path, md5: str | None) -> ImageSource:
    """A local archive, checked: md5 (when configured) and zip structure."""
    path = Path(path)
    if md5 is not None:
        try:
            verify_checksum(path, md5, "md5")
        except ChecksumError as exc:
            raise CelebAFileError(f"archive is not the official {ARCHIVE_NAME}: {exc}") from exc
    try:
        with zipfile.ZipFile(path) as zf:
            if not any(n.endswith(".jpg") for n in zf.namelist()):
                raise CelebAFileError(f"archive {path} holds no .jpg files")
    except zipfile.BadZipFile as exc:
        raise CelebAFileError(
            f"archive {path} is not a complete zip file ({exc}); a truncated download? delete it and fetch it again"
        ) from exc
    return ImageSource("archive", path)


def _fetch(data: dict, which: str, target: Path) -> Path:
    """The configured URL of `which` ("archive" or "partition"), downloaded and
    md5-checked once into `target`; a verified earlier download is reused."""
    if not target.is_file():
        try:
            download(data["url"][which], target, md5=data["md5"][which], retries=data["retries"])
        except ChecksumError as exc:
            raise CelebAFileError(str(exc)) from exc
    return target


def locate_images(data: dict, download_dir) -> ImageSource:
    """The first configured image source that exists (downloading if the URL's turn comes)."""
    tried = []
    for kind in data["sources"]:
        if kind == "folder" and data["folder"]:
            folder = Path(data["folder"])
            if folder.is_dir():
                return ImageSource("folder", folder)
            tried.append(f"folder {folder} (not a directory)")
        elif kind == "archive" and data["archive"]:
            archive = Path(data["archive"])
            if archive.is_file():
                return open_archive(archive, data["md5"]["archive"])
            tried.append(f"archive {archive} (no such file)")
        elif kind == "url" and data["url"]["archive"]:
            target = _fetch(data, "archive", Path(download_dir) / ARCHIVE_NAME)
            return open_archive(target, data["md5"]["archive"])
        else:
            tried.append(f"{kind} (not configured)")
    raise CelebAFileError(
        "no CelebA images found; tried, in the order of celeba.data.sources: "
        + "; ".join(tried)
        + ". Set celeba.data.folder, celeba.data.archive or celeba.data.url.archive, "
        "or celeba.data.kind: standin to run on generated stand-in images."
    )


def locate_partition(data: dict, download_dir) -> Path:
    """The configured local partition file, else its download."""
    if data["partition"]:
        path = Path(data["partition"])
        if not path.is_file():
            raise CelebAFileError(f"celeba.data.partition: {path} does not exist")
        return path
    if data["url"]["partition"]:
        return _fetch(data, "partition", Path(download_dir) / PARTITION_NAME)
    raise CelebAFileError(
        f"no partition file: set celeba.data.partition (a local {PARTITION_NAME}) or celeba.data.url.partition"
    )


def check_splits(split_of: dict[str, str], partition) -> None:
    """Every split must hold images: an empty one fails training or FID later."""
    empty = [split for split, n in split_counts(split_of).items() if n == 0]
    if empty:
        raise CelebAFileError(
            f"partition file {partition} leaves the {' and '.join(empty)} split{'s' if len(empty) > 1 else ''} "
            "empty (codes 0 train, 1 validation, 2 test); every split needs images"
        )


def _listing_digest(entries) -> str:
    """sha256 of sorted 'name size' lines: which image files, of which sizes."""
    lines = sorted(f"{name} {size}" for name, size in entries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def data_identity(data: dict) -> dict:
    """What the configured CelebA files are, found where the config points (no
    download): the partition file's md5, and the image source's listing (the
    names and sizes of its JPEGs). Part of the data job's settings, so that an
    edited partition or a changed folder re-runs the preparation; moving the
    same files elsewhere changes nothing."""
    partition = Path(data["partition"]) if data["partition"] else Path(data["download_dir"]) / PARTITION_NAME
    images = None
    for kind in data["sources"]:
        if kind == "folder" and data["folder"] and Path(data["folder"]).is_dir():
            folder = Path(data["folder"])
            images = _listing_digest((p.name, p.stat().st_size) for p in folder.iterdir() if p.suffix == ".jpg")
        elif kind == "archive" and data["archive"] and Path(data["archive"]).is_file():
            with zipfile.ZipFile(data["archive"]) as zf:
                images = _listing_digest((Path(i.filename).name, i.file_size) for i in zf.infolist())
        elif kind == "url" and data["url"]["archive"]:
            images = f"download, md5 {data['md5']['archive']}"
        if images is not None:
            break
    return {"partition": file_digest(partition) if partition.is_file() else None, "images": images}


def check_complete(source: ImageSource, split_of: dict[str, str]) -> None:
    """Every image the partition lists must be in the source."""
    available = source.names()
    missing = [n for n in split_of if n not in available]
    if missing:
        raise CelebAFileError(
            f"{source.describe()} lacks {len(missing)} of the {len(split_of)} images the partition "
            f"file lists (first missing: {', '.join(missing[:3])}); an incomplete extraction?"
        )
