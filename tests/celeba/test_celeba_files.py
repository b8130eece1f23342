"""CelebA files: partition parsing, source order, completeness, preprocessing
(on the real sample images when present), the stand-in, and the prepare
script's clean failure."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from couae import caveats
from couae.celeba import arrays, figures, preprocessing
from couae.celeba import files as celeba_files
from couae.celeba import settings as CS
from couae.celeba.files import CelebAFileError
from couae.report.tables import build_table1, display_frame, results_of
from helpers import REPO, load_config

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


WAE_BOX = (19, 39, 159, 179)  # WAE's code: (width - 140) / 2, (height - 140) / 2 of the 178x218 images


def wae_reference(path, resize_filter):
    """Independent preprocessing as WAE's code does it: crop the box, resize with PIL."""
    filters = {"lanczos": Image.LANCZOS, "bilinear": Image.BILINEAR}
    out = Image.open(path).convert("RGB").crop(WAE_BOX).resize((64, 64), filters[resize_filter])
    return np.asarray(out).transpose(2, 0, 1).astype(int)


def subset_partition(path, split_of):
    return write_partition(path, [f"{name} {('train', 'validation', 'test').index(s)}" for name, s in split_of.items()])


@needs_sample
@pytest.mark.parametrize("kind", ["folder", "archive"])
@pytest.mark.parametrize("resize_filter", ["lanczos", "bilinear"])
def test_real_images_preprocess_as_wae_and_say_they_are_a_subset(tmp_path, kind, resize_filter):
    folder = SAMPLE / "img_align_celeba"
    names = sorted(p.name for p in folder.glob("*.jpg"))
    assert len(names) == 32
    # the real split of these images (all train), plus three moved to the other splits
    genuine = celeba_files.read_partition(SAMPLE / "list_eval_partition.txt", PARTITION_MD5)
    split_of = {n: genuine[n] for n in names}
    assert set(split_of.values()) == {"train"}
    split_of.update({names[-1]: "test", names[-2]: "test", names[-3]: "validation"})
    partition = subset_partition(tmp_path / "p.txt", split_of)
    data = base_data(tmp_path, partition=str(partition), resize_filter=resize_filter, workers=2)
    if kind == "folder":
        data.update(folder=str(folder))
    else:
        archive = tmp_path / "img_align_celeba.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for n in names:
                zf.write(folder / n, f"img_align_celeba/{n}")
        data.update(sources=["archive"], archive=str(archive))
    meta = preprocessing.prepare_arrays(data, tmp_path / "out")
    assert meta["counts"] == {"train": 29, "validation": 1, "test": 2} and meta["standin"] is False
    expected = [caveats.NON_OFFICIAL_SPLIT, caveats.SUBSET] + ([caveats.UNCHECKED_ARCHIVE] if kind == "archive" else [])
    assert meta["caveats"] == expected and meta["other_sizes"] == 0 and meta["resize_filter"] == resize_filter
    train = arrays.load_split(tmp_path / "out" / "train.npy")
    test = arrays.load_split(tmp_path / "out" / "test.npy")
    assert train.shape == (29, 3, 64, 64) and train.dtype == np.uint8
    diffs = [np.abs(train[i].astype(int) - wae_reference(folder / names[i], resize_filter)) for i in range(29)]
    diffs += [np.abs(test[1].astype(int) - wae_reference(folder / names[-1], resize_filter))]
    assert max(d.max() for d in diffs) <= 1  # at most 1 grey level from WAE's preprocessing
    assert json.loads((tmp_path / "out" / "meta.json").read_text())["caveats"] == expected


@needs_sample
def test_lanczos_and_bilinear_differ_visibly():
    """Why the filter is a setting: the two differ by up to tens of grey levels (which moves FID)."""
    path = sorted((SAMPLE / "img_align_celeba").glob("*.jpg"))[0]
    assert np.abs(wae_reference(path, "lanczos") - wae_reference(path, "bilinear")).max() > 10


def face_jpegs(folder, sizes: dict[str, tuple[int, int]]):
    """Small generated JPEG fixtures, name -> (width, height)."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for name, (width, height) in sizes.items():
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / name, quality=90)
    return folder


ALIGNED = {f"00000{i}.jpg": (178, 218) for i in range(1, 7)}
FIXTURE_SPLIT = ["000001.jpg 0", "000002.jpg 0", "000003.jpg 0", "000004.jpg 1", "000005.jpg 2", "000006.jpg 2"]


@pytest.mark.parametrize(
    "sizes, lines, over, message",
    [
        (
            {"000002.jpg": (200, 200)},
            FIXTURE_SPLIT,
            {},
            r"image 000002\.jpg is 200x200, not 178x218: .*other_sizes: accept",
        ),
        (
            {"000005.jpg": (100, 120)},
            FIXTURE_SPLIT,
            {"other_sizes": "accept"},
            r"000005\.jpg is 100x120, smaller than the 140x140 crop",
        ),
        (
            {},
            [line for line in FIXTURE_SPLIT if not line.endswith(" 1")],
            {},
            r"p\.txt leaves the validation split empty",
        ),
    ],
)
def test_refusals_name_the_image_or_split_and_leave_nothing(tmp_path, sizes, lines, over, message):
    folder = face_jpegs(tmp_path / "img", {**ALIGNED, **sizes})
    partition = write_partition(tmp_path / "p.txt", lines)
    result = run_prepare(tmp_path, base_data(tmp_path, folder=str(folder), partition=str(partition), **over))
    assert result.returncode == 1
    assert re.search(message, result.stderr), result.stderr[-2000:]
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_accepted_other_sizes_are_marked_and_reach_the_tables(tmp_path):
    folder = face_jpegs(tmp_path / "img", {**ALIGNED, "000002.jpg": (200, 240)})
    partition = write_partition(tmp_path / "p.txt", FIXTURE_SPLIT)
    data = base_data(tmp_path, folder=str(folder), partition=str(partition), other_sizes="accept")
    meta = preprocessing.prepare_arrays(data, tmp_path / "out")
    assert meta["other_sizes"] == 1
    assert meta["caveats"] == [caveats.NON_OFFICIAL_SPLIT, caveats.SUBSET, caveats.OTHER_SIZES]
    # every CelebA value made from these arrays carries them, into the tables' cells and the figures
    marks = caveats.join(caveats.celeba_marks(meta, test_only=False, few_images=False))
    evals = pd.DataFrame([{"experiment": "couae", "width": 1.0, "seed": 0, "fid": 50.0, "caveats": marks}])
    labels = [["couae", {"paper": "CouAE"}]]
    table = build_table1(results_of("celeba", evals, labels, {"couae": 1.0}, [1.0], [0]))
    cell = display_frame(table).iloc[0]["ours"]
    assert cell == "50.00 (n=1) [NON-OFFICIAL SPLIT; A SUBSET OF CELEBA; NOT THE ALIGNED 178X218 IMAGES]"
    assert np.isnan(table.iloc[0]["difference"])  # not compared with the paper's 47
    assert figures.data_caveat(tmp_path / "out" / "meta.json") == marks


def test_edited_partition_or_folder_changes_the_data_job_and_moving_them_does_not(tmp_path):
    folder = face_jpegs(tmp_path / "img", ALIGNED)
    partition = write_partition(tmp_path / "p.txt", FIXTURE_SPLIT)

    def settings(folder, partition):
        over = {"celeba": {"data": {"folder": str(folder), "partition": str(partition), "sources": ["folder"]}}}
        return CS.celeba_data_settings(load_config(over))

    first = settings(folder, partition)
    assert first.identity["partition"] and first.identity["images"]
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copytree(folder, moved / "img")
    shutil.copy(partition, moved / "p.txt")
    assert settings(moved / "img", moved / "p.txt") == first  # where the files are is not what they are
    write_partition(partition, [line.replace("000003.jpg 0", "000003.jpg 1") for line in FIXTURE_SPLIT])
    assert settings(folder, partition).identity["partition"] != first.identity["partition"]
    face_jpegs(folder, {"000007.jpg": (178, 218)})
    assert settings(folder, partition).identity["images"] != first.identity["images"]


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
        "resize_filter": "lanczos",
        "other_sizes": "refuse",
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
    partition = write_partition(tmp_path / "p.txt", ["000001.jpg 0", "000002.jpg 1", "000003.jpg 2"])
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
