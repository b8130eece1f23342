"""The download code against a local HTTP server serving files the tests make."""

import hashlib
import io
import zipfile

import pytest

from couae.celeba import files as celeba_files
from couae.celeba.files import CelebAFileError
from couae.runtime.downloads import ChecksumError, DownloadError, download
from http_server import FileServer


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def make_zip(n_images=5) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(1, n_images + 1):
            zf.writestr(f"img_align_celeba/{i:06d}.jpg", bytes(range(256)) * (50 + i))
    return buf.getvalue()


@pytest.fixture
def server():
    with FileServer() as s:
        yield s


def test_good_file_downloads_and_verifies(server, tmp_path):
    body = make_zip()
    server.files["/a.zip"] = body
    dest = download(f"{server.url}/a.zip", tmp_path / "a.zip", md5=md5(body), retries=1)
    assert dest.read_bytes() == body and not (tmp_path / "a.zip.part").exists()


def test_corrupted_file_is_refused_and_removed(server, tmp_path):
    body = make_zip()
    server.files["/a.zip"] = body[:100] + b"X" + body[101:]
    with pytest.raises(ChecksumError, match=r"a\.zip.*md5 is [0-9a-f]{32}, expected " + md5(body)):
        download(f"{server.url}/a.zip", tmp_path / "a.zip", md5=md5(body), retries=1)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_transfer_resumes_with_a_range_request(server, tmp_path):
    body = make_zip(20)
    server.files["/a.zip"] = body
    server.cut_after["/a.zip"] = 1000  # the first response stops after 1000 bytes
    download(f"{server.url}/a.zip", tmp_path / "a.zip", md5=md5(body), retries=3, backoff_seconds=0)
    assert (tmp_path / "a.zip").read_bytes() == body
    assert server.requests == [("/a.zip", None), ("/a.zip", "bytes=1000-")]


def test_partial_file_from_an_earlier_run_is_resumed(server, tmp_path):
    body = make_zip(20)
    server.files["/a.zip"] = body
    (tmp_path / "a.zip.part").write_bytes(body[:777])
    download(f"{server.url}/a.zip", tmp_path / "a.zip", md5=md5(body), retries=1)
    assert (tmp_path / "a.zip").read_bytes() == body and server.requests == [("/a.zip", "bytes=777-")]


def test_transfer_that_never_completes_fails_and_keeps_the_part(server, tmp_path):
    body = make_zip(20)
    server.files["/a.zip"] = body
    server.truncate["/a.zip"] = 500
    with pytest.raises(DownloadError, match=r"in 3 attempts.*bytes are kept in .*a\.zip\.part"):
        download(f"{server.url}/a.zip", tmp_path / "a.zip", md5=md5(body), retries=3, backoff_seconds=0)
    assert (tmp_path / "a.zip.part").stat().st_size == 1500 and not (tmp_path / "a.zip").exists()


def test_missing_url_fails_with_its_address(server, tmp_path):
    with pytest.raises(DownloadError, match=r"could not download .*/nothing"):
        download(f"{server.url}/nothing", tmp_path / "x", retries=2, backoff_seconds=0)


def data_section(tmp_path, **over):
    data = {
        "sources": ["folder", "archive", "url"],
        "folder": None,
        "archive": None,
        "partition": None,
        "url": {"archive": None, "partition": None},
        "md5": {"archive": None, "partition": None},
        "retries": 2,
    }
    data.update(over)
    return data


def test_archive_url_source_downloads_then_checks_the_zip(server, tmp_path):
    body = make_zip()
    server.files["/img_align_celeba.zip"] = body
    data = data_section(
        tmp_path,
        url={"archive": f"{server.url}/img_align_celeba.zip", "partition": None},
        md5={"archive": md5(body), "partition": None},
    )
    source = celeba_files.locate_images(data, tmp_path / "dl")
    assert source.kind == "archive" and len(source.names()) == 5
    # a second call finds the verified download and does not fetch again
    celeba_files.locate_images(data, tmp_path / "dl")
    assert len(server.requests) == 1


def test_truncated_archive_is_refused_with_its_name(tmp_path):
    archive = tmp_path / "img_align_celeba.zip"
    archive.write_bytes(make_zip()[:-200])  # the zip's central directory is cut off
    data = data_section(tmp_path, sources=["archive"], archive=str(archive))
    with pytest.raises(CelebAFileError, match=r"img_align_celeba\.zip is not a complete zip file"):
        celeba_files.locate_images(data, tmp_path)
    with_md5 = data_section(
        tmp_path, sources=["archive"], archive=str(archive), md5={"archive": md5(make_zip()), "partition": None}
    )
    with pytest.raises(CelebAFileError, match=r"not the official img_align_celeba\.zip.*md5"):
        celeba_files.locate_images(with_md5, tmp_path)


def test_corrupted_archive_download_names_url_and_checksum(server, tmp_path):
    body = make_zip()
    server.files["/img_align_celeba.zip"] = body[:-1] + b"!"
    data = data_section(
        tmp_path,
        sources=["url"],
        url={"archive": f"{server.url}/img_align_celeba.zip", "partition": None},
        md5={"archive": md5(body), "partition": None},
    )
    with pytest.raises(CelebAFileError, match=r"img_align_celeba\.zip is corrupt.*expected " + md5(body)):
        celeba_files.locate_images(data, tmp_path / "dl")
    assert not (tmp_path / "dl" / "img_align_celeba.zip").exists()
