"""CelebA files: partition parsing, source order, completeness, preprocessing
(on the real sample images when present), the stand-in, and the prepare
script's clean failure."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from couae.celeba import arrays, preprocessing
from couae.celeba import files as celeba_files
from couae.celeba.files import CelebAFileError
from helpers import REPO

SAMPLE = Path(os.environ.get("COUAE_CELEBA_SAMPLE", REPO.parent / "shared" / "data" / "celeba-sample"))
PARTITION_MD5 = "d32c9cbf5e040fd4025c592c306e6668"
needs_sample = pytest.mark.skipif(
    not (SAMPLE / "list_eval_partition.txt").exists(),
    reason=f"real CelebA sample files not at {SAMPLE} (set COUAE_CELEBA_SAMPLE)",
)


def write_partition(path, lines):
    path.write_text("".join(f"{line}\r\n" for line in lines))  # CRLF, as the official file
    return path


def test_partition_parses_and_counts(tmp_path):
    p = write_partition(tmp_path / "p.txt", ["000001.jpg 0", "000002.jpg 2", "000003.jpg 1", "000004.jpg 0"])
    split_of = celeba_files.read_partition(p)
    assert split_of == {"000001.jpg": "train", "000002.jpg": "test", "000003.jpg": "validation", "000004.jpg": "train"}
    assert celeba_files.split_counts(split_of) == {"train": 2, "validation": 1, "test": 1}


@pytest.mark.parametrize(
    "lines, message",
    [
        (["000001.jpg 0", "000002.jpg"], r"p\.txt, line 2: expected '<name>\.jpg <0\|1\|2>'"),
        (["000001.jpg 3"], r"line 1: split code 3"),
        (["000001.jpg 0", "000001.jpg 1"], r"line 2: 000001\.jpg is listed twice"),
        ([], r"lists no images"),
    ],
)
def test_malformed_partition_names_file_and_line(tmp_path, lines, message):
    with pytest.raises(CelebAFileError, match=message):
        celeba_files.read_partition(write_partition(tmp_path / "p.txt", lines))


def test_partition_with_wrong_checksum_is_refused(tmp_path):
    p = write_partition(tmp_path / "p.txt", ["000001.jpg 0"])
    with pytest.raises(CelebAFileError, match=r"not the official list_eval_partition\.txt.*p\.txt: md5 is"):
        celeba_files.read_partition(p, PARTITION_MD5)


def test_sources_are_tried_in_order(tmp_path):
    folder = tmp_path / "img_align_celeba"
    folder.mkdir()
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("img_align_celeba/000001.jpg", b"x")
    data = {
        "sources": ["folder", "archive"],
        "folder": str(tmp_path / "absent"),
        "archive": str(archive),
        "url": {"archive": None},
        "md5": {"archive": None},
        "retries": 1,
    }
    assert celeba_files.locate_images(data, tmp_path).kind == "archive"  # folder absent: next source
    data["folder"] = str(folder)
    assert celeba_files.locate_images(data, tmp_path).kind == "folder"
    data.update(sources=["url", "archive"], archive=None, folder=None)
    with pytest.raises(
        CelebAFileError,
        match=r"tried, in the order of celeba\.data\.sources: url \(not configured\); "
        r"archive \(not configured\)",
    ):
        celeba_files.locate_images(data, tmp_path)


def test_incomplete_folder_names_missing_images(tmp_path):
    (tmp_path / "000001.jpg").write_bytes(b"x")
    split_of = {"000001.jpg": "train", "000002.jpg": "test"}
    with pytest.raises(CelebAFileError, match=r"lacks 1 of the 2 images .*first missing: 000002\.jpg"):
        celeba_files.check_complete(celeba_files.ImageSource("folder", tmp_path), split_of)


@needs_sample
def test_genuine_partition_file_checks_and_counts():
    split_of = celeba_files.read_partition(SAMPLE / "list_eval_partition.txt", PARTITION_MD5)
    assert len(split_of) == 202_599
    assert celeba_files.split_counts(split_of) == {"train": 162_770, "validation": 19_867, "test": 19_962}
    # the sample folder holds 32 of them: the completeness check must say so
    with pytest.raises(CelebAFileError, match=r"lacks 202567 of the 202599 images"):
        celeba_files.check_complete(celeba_files.ImageSource("folder", SAMPLE / "img_align_celeba"), split_of)


def pil_reference(path, crop=140, size=64):
    """Independent preprocessing with PIL: centre crop, antialiased bilinear resize."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    left, top = round((w - crop) / 2), round((h - crop) / 2)
    out = im.crop((left, top, left + crop, top + crop)).resize((size, size), Image.BILINEAR)
    return np.asarray(out).transpose(2, 0, 1)


@needs_sample
@pytest.mark.parametrize("kind", ["folder", "archive"])
def test_real_images_preprocess_like_pil(tmp_path, kind):
    folder = SAMPLE / "img_align_celeba"
    names = sorted(p.name for p in folder.glob("*.jpg"))
    assert len(names) == 32
    # the real split of these images (all train), plus three moved to the other splits
    genuine = celeba_files.read_partition(SAMPLE / "list_eval_partition.txt", PARTITION_MD5)
    split_of = {n: genuine[n] for n in names}
    assert set(split_of.values()) == {"train"}
    split_of.update({names[-1]: "test", names[-2]: "test", names[-3]: "validation"})
    if kind == "folder":
        source = celeba_files.ImageSource("folder", folder)
    else:
        archive = tmp_path / "img_align_celeba.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for n in names:
                zf.write(folder / n, f"img_align_celeba/{n}")
        source = celeba_files.open_archive(archive, None)
    meta = preprocessing.preprocess_celeba(source, split_of, tmp_path / "out", 140, 64, 2, {})
    assert meta["counts"] == {"train": 29, "validation": 1, "test": 2} and meta["standin"] is False
    train = arrays.load_split(tmp_path / "out" / "train.npy")
    test = arrays.load_split(tmp_path / "out" / "test.npy")
    assert train.shape == (29, 3, 64, 64) and train.dtype == np.uint8
    for array, index, name in [(train, 0, names[0]), (train, 28, names[28]), (test, 1, names[-1])]:
        diff = np.abs(array[index].astype(int) - pil_reference(folder / name).astype(int))
        assert diff.max() <= 2 and diff.mean() < 0.05
    assert json.loads((tmp_path / "out" / "meta.json").read_text())["counts"]["test"] == 2


def test_standin_is_seeded_and_shaped():
    a = preprocessing.standin_images(8, 64, 1, "train")
    assert a.shape == (8, 3, 64, 64) and a.dtype == np.uint8
    assert np.array_equal(a, preprocessing.standin_images(8, 64, 1, "train"))
    assert not np.array_equal(a, preprocessing.standin_images(8, 64, 1, "test"))
    assert a.std() > 30  # not a blank image


def run_prepare(tmp_path, data):
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "workflow/scripts/celeba_data.py"),
            "--data",
            json.dumps(data),
            "--out-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )


def base_data(tmp_path, **over):
    data = {
        "kind": "celeba",
        "sources": ["folder"],
        "folder": None,
        "archive": None,
        "partition": None,
        "url": {"archive": None, "partition": None},
        "md5": {"archive": None, "partition": None},
        "download_dir": str(tmp_path / "dl"),
        "retries": 1,
        "crop": 140,
        "size": 64,
        "workers": 1,
        "standin": {"n_train": 4, "n_validation": 2, "n_test": 2, "seed": 0},
    }
    data.update(over)
    return data


def test_prepare_fails_cleanly_on_a_bad_partition(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    partition = write_partition(tmp_path / "p.txt", ["000001.jpg 0", "oops"])
    result = run_prepare(tmp_path, base_data(tmp_path, folder=str(folder), partition=str(partition)))
    assert result.returncode == 1 and "p.txt, line 2" in result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_prepare_fails_cleanly_on_missing_images(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    partition = write_partition(tmp_path / "p.txt", ["000001.jpg 0"])
    result = run_prepare(tmp_path, base_data(tmp_path, folder=str(folder), partition=str(partition)))
    assert result.returncode == 1 and "first missing: 000001.jpg" in result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_prepare_writes_the_standin(tmp_path):
    result = run_prepare(tmp_path, base_data(tmp_path, kind="standin"))
    assert result.returncode == 0, result.stderr
    meta = arrays.read_meta(tmp_path / "out")
    assert meta["standin"] is True and meta["counts"] == {"train": 4, "validation": 2, "test": 2}
    assert arrays.load_split(tmp_path / "out" / "validation.npy").shape == (2, 3, 64, 64)


def test_prepare_names_a_corrupt_jpeg_and_leaves_nothing(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    good = Image.fromarray(np.full((218, 178, 3), 120, dtype=np.uint8))
    for name in ("000001.jpg", "000003.jpg"):
        good.save(folder / name, quality=90)
    jpeg = (folder / "000001.jpg").read_bytes()
    (folder / "000002.jpg").write_bytes(jpeg[: len(jpeg) // 3])  # a truncated download
    partition = write_partition(tmp_path / "p.txt", ["000001.jpg 0", "000002.jpg 1", "000003.jpg 2"])
    result = run_prepare(tmp_path, base_data(tmp_path, folder=str(folder), partition=str(partition)))
    assert result.returncode == 1
    assert f"folder {folder}: image 000002.jpg cannot be decoded" in result.stderr
    assert "replace it with the original file" in result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
