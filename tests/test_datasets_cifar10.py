"""CIFAR-10 loading, download and extraction, on small synthetic files and a local server."""

import hashlib
import http.server
import io
import os
import pickle
import socket
import sys
import tarfile
import threading
import time

import numpy as np
import pytest

from minigrad.data import datasets
from minigrad.data.datasets import (
    DatasetError,
    DownloadError,
    cifar10_available,
    find_cifar10,
    load_cifar10,
)

PER_BATCH = 4
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never look at the real ~/.cache or $MINIGRAD_DATA, never reach the real network."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)


def write_batch(path, seed, n=PER_BATCH, protocol=2):
    rng = np.random.default_rng(seed)
    batch = {
        b"batch_label": b"synthetic",
        b"labels": [int(v) for v in rng.integers(0, 10, n)],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [b"img%d.png" % i for i in range(n)],
    }
    path.write_bytes(pickle.dumps(batch, protocol=protocol))
    return batch


def write_cifar(base, with_test=True):
    """A CIFAR-10 folder in the official layout, PER_BATCH images per batch."""
    folder = base / FOLDER
    folder.mkdir(parents=True)
    batches = [write_batch(folder / f"data_batch_{i}", seed=i, protocol=2 + i % 3) for i in (1, 2)]
    batches += [write_batch(folder / f"data_batch_{i}", seed=i) for i in (3, 4, 5)]
    if with_test:
        write_batch(folder / "test_batch", seed=99)
    meta = {b"label_names": [n.encode() for n in datasets.CIFAR10_CLASSES]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    return folder, batches


def make_archive(tmp_path, extra=None):
    """`cifar-10-python.tar.gz` bytes of a synthetic folder; `extra(tar)` may add members."""
    folder, _ = write_cifar(tmp_path / "src")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=FOLDER)
        if extra is not None:
            extra(tar)
    return buffer.getvalue()


def add_file(tar, name, payload=b"evil"):
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


class FakeServer:
    """HTTP server on 127.0.0.1 serving `body`, claiming `length` bytes; counts requests."""

    def __init__(self):
        self.body, self.length, self.status, self.requests = b"", None, 200, 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests += 1
                self.send_response(owner.status)
                length = len(owner.body) if owner.length is None else owner.length
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/{ARCHIVE}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    srv = FakeServer()
    yield srv
    srv.close()


def fetch(root, body, server, **kwargs):
    kwargs.setdefault("md5", hashlib.md5(body).hexdigest())
    kwargs.setdefault("size", len(body))
    kwargs.setdefault("progress", False)
    return load_cifar10(root, url=server.url, **kwargs)


def test_loads_extracted_folder_in_official_layout(tmp_path):
    _, batches = write_cifar(tmp_path)
    data = load_cifar10(tmp_path, download=False)
    assert data.x_train.shape == (5 * PER_BATCH, 3, 32, 32) and data.x_train.dtype == np.uint8
    assert data.y_train.dtype == np.int64 and data.x_test.shape == (PER_BATCH, 3, 32, 32)
    np.testing.assert_array_equal(data.x_train[0].reshape(-1), batches[0][b"data"][0])
    np.testing.assert_array_equal(data.y_train[:PER_BATCH], batches[0][b"labels"])
    assert data.classes == datasets.CIFAR10_CLASSES
    assert data.path == tmp_path / FOLDER


def test_root_may_name_the_batches_folder_itself(tmp_path):
    folder, _ = write_cifar(tmp_path)
    assert load_cifar10(folder, download=False).x_train.shape[0] == 5 * PER_BATCH


def test_missing_test_batch_gives_none(tmp_path):
    write_cifar(tmp_path, with_test=False)
    data = load_cifar10(tmp_path, download=False)
    assert data.x_test is None and data.y_test is None
    assert len(data.x_train) == 5 * PER_BATCH


def test_search_order_env_then_home_cache(tmp_path, monkeypatch):
    write_cifar(tmp_path / "home" / ".cache" / "minigrad")
    assert find_cifar10() == tmp_path / "home" / ".cache" / "minigrad" / FOLDER
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "env"))
    assert not cifar10_available()
    write_cifar(tmp_path / "env")
    assert find_cifar10() == tmp_path / "env" / FOLDER
    assert cifar10_available(tmp_path / "home" / ".cache" / "minigrad")


def test_archive_is_extracted_safely_once(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / ARCHIVE).write_bytes(make_archive(tmp_path))
    assert find_cifar10(root) == root / ARCHIVE
    data = load_cifar10(root, download=False)
    assert len(data.x_train) == 5 * PER_BATCH and len(data.x_test) == PER_BATCH
    assert sorted(p.name for p in root.iterdir()) == [FOLDER, ARCHIVE]  # no temp folder left
    assert find_cifar10(root) == root / FOLDER


@pytest.mark.parametrize(
    "extra, message",
    [
        (lambda tar: add_file(tar, f"{FOLDER}/../../escaped"), "unsafe path"),
        (lambda tar: add_file(tar, "/tmp/minigrad_absolute_escape"), "unsafe path"),
        (lambda tar: add_file(tar, "elsewhere/data_batch_1"), "outside"),
    ],
)
def test_archive_with_escaping_member_is_refused(tmp_path, extra, message):
    root = tmp_path / "data"
    root.mkdir()
    (root / ARCHIVE).write_bytes(make_archive(tmp_path, extra))
    with pytest.raises(DatasetError, match=message):
        load_cifar10(root, download=False)
    assert not (tmp_path / "escaped").exists()
    assert sorted(p.name for p in root.iterdir()) == [ARCHIVE]


def test_archive_with_symlink_is_refused(tmp_path):
    def add_link(tar):
        info = tarfile.TarInfo(f"{FOLDER}/link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)

    root = tmp_path / "data"
    root.mkdir()
    (root / ARCHIVE).write_bytes(make_archive(tmp_path, add_link))
    with pytest.raises(DatasetError, match="link"):
        load_cifar10(root, download=False)


def test_corrupt_archive_is_a_clear_error(tmp_path):
    (tmp_path / ARCHIVE).write_bytes(b"not a tarball at all")
    with pytest.raises(DatasetError, match="not a readable tar.gz"):
        load_cifar10(tmp_path, download=False)


def test_truncated_batch_file_is_a_clear_error(tmp_path):
    folder, _ = write_cifar(tmp_path)
    path = folder / "data_batch_3"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DatasetError, match="data_batch_3 is corrupt"):
        load_cifar10(tmp_path, download=False)


def test_batch_with_wrong_shape_is_a_clear_error(tmp_path):
    folder, _ = write_cifar(tmp_path)
    bad = {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}
    (folder / "data_batch_2").write_bytes(pickle.dumps(bad))
    with pytest.raises(DatasetError, match=r"data_batch_2 is corrupt.*\(2, 100\)"):
        load_cifar10(tmp_path, download=False)


def test_missing_train_batch_is_a_clear_error(tmp_path):
    folder, _ = write_cifar(tmp_path)
    (folder / "data_batch_5").unlink()
    with pytest.raises(DatasetError, match="lacks data_batch_5"):
        load_cifar10(tmp_path, download=False)


def test_pickles_naming_numpy_core_of_numpy_1_load(tmp_path):
    folder, batches = write_cifar(tmp_path)
    path = folder / "data_batch_1"
    old = path.read_bytes().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    assert b"numpy.core.multiarray" in old
    path.write_bytes(old)
    data = load_cifar10(tmp_path, download=False)
    np.testing.assert_array_equal(data.x_train[1].reshape(-1), batches[0][b"data"][1])


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickle_calling_anything_but_numpy_is_refused(tmp_path):
    folder, _ = write_cifar(tmp_path)
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Exploit(), b"labels": []}))
    with pytest.raises(DatasetError, match="refusing to load"):
        load_cifar10(tmp_path, download=False)


def test_nothing_found_without_download_names_the_folder(tmp_path):
    with pytest.raises(DatasetError, match="download=False") as info:
        load_cifar10(tmp_path, download=False)
    assert str(tmp_path) in str(info.value) and datasets.CIFAR10_URL in str(info.value)


def test_download_verifies_and_extracts(tmp_path, server):
    server.body = make_archive(tmp_path)
    root = tmp_path / "data"
    data = fetch(root, server.body, server)
    assert len(data.x_train) == 5 * PER_BATCH and server.requests == 1
    assert sorted(p.name for p in root.iterdir()) == [FOLDER, ARCHIVE]


def test_download_shows_a_progress_bar_and_works_without_tqdm(tmp_path, server, monkeypatch):
    server.body = make_archive(tmp_path)
    data = fetch(tmp_path / "a", server.body, server, progress=True)
    assert len(data.x_train) == 5 * PER_BATCH
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import now fails
    data = fetch(tmp_path / "b", server.body, server, progress=True)
    assert len(data.x_train) == 5 * PER_BATCH


def test_truncated_download_is_rejected_and_removed(tmp_path, server):
    body = make_archive(tmp_path)
    server.body, server.length = body[: len(body) // 2], len(body)
    root = tmp_path / "data"
    with pytest.raises(DownloadError, match="truncated") as info:
        fetch(root, body, server)
    assert server.url in str(info.value) and "by hand" in str(info.value)
    assert list(root.iterdir()) == []


def test_wrong_checksum_is_rejected_and_removed(tmp_path, server):
    server.body = make_archive(tmp_path)
    root = tmp_path / "data"
    with pytest.raises(DownloadError, match="md5"):
        fetch(root, server.body, server, md5="0" * 32)
    assert list(root.iterdir()) == []


def test_http_error_is_a_download_error(tmp_path, server):
    server.status = 404
    with pytest.raises(DownloadError, match="404"):
        fetch(tmp_path, b"", server, size=10)


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{ARCHIVE}"


def test_no_network_fails_at_once_with_instructions(tmp_path):
    url = closed_port_url()
    start = time.perf_counter()
    with pytest.raises(DownloadError) as info:
        load_cifar10(tmp_path / "data", url=url, timeout=2.0, progress=False)
    assert time.perf_counter() - start < 2.0
    message = str(info.value)
    for needle in (url, str(tmp_path / "data"), "by hand", datasets.CIFAR10_MD5):
        assert needle in message


def test_cached_copy_never_touches_the_network(tmp_path, server, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("a cached copy must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    write_cifar(tmp_path)
    assert len(fetch(tmp_path, b"", server).x_train) == 5 * PER_BATCH
    assert server.requests == 0
