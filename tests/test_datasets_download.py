"""Downloading CIFAR-10 as a user on a flaky network meets it, against a local HTTP server:
dropped and reset connections, stalls, servers that ignore Range, temporary HTTP errors,
corrupt files, a mirror from the environment and the XDG cache folder."""

import hashlib
import socket
import sys
import time

import pytest
from fake_cifar import ARCHIVE, FOLDER, PER_BATCH, FakeServer, make_archive

from minigrad.data import datasets
from minigrad.data.datasets import DownloadError, _files, data_dir, load_cifar10


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never look at the real ~/.cache, $XDG_CACHE_HOME or $MINIGRAD_DATA, nor a mirror."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("MINIGRAD_DATA", "XDG_CACHE_HOME", datasets.MIRROR_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(tmp_path):
    srv = FakeServer()
    srv.body = make_archive(tmp_path)
    yield srv
    srv.close()


@pytest.fixture
def sleeps(monkeypatch):
    """The backoff delays asked for, without waiting them out."""
    delays = []
    monkeypatch.setattr(_files.time, "sleep", delays.append)
    return delays


def fetch(root, server, body=None, **kwargs):
    body = server.body if body is None else body
    kwargs.setdefault("md5", hashlib.md5(body).hexdigest())
    kwargs.setdefault("size", len(body))
    kwargs.setdefault("progress", False)
    kwargs.setdefault("url", server.url)
    return load_cifar10(root, **kwargs)


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_download_verifies_and_extracts(tmp_path, server):
    root = tmp_path / "data"
    data = fetch(root, server)
    assert len(data.x_train) == 5 * PER_BATCH and server.requests == [None]
    assert names(root) == [FOLDER, ARCHIVE]


def test_dropped_connection_resumes_with_a_range_request(tmp_path, server, sleeps):
    cut = len(server.body) * 2 // 3
    server.cuts = [cut]
    data = fetch(tmp_path / "data", server)
    assert len(data.x_train) == 5 * PER_BATCH
    assert server.requests == [None, f"bytes={cut}-"]
    assert sleeps == [_files.BACKOFF]
    assert names(tmp_path / "data") == [FOLDER, ARCHIVE]


def test_reset_connection_resumes_from_what_arrived(tmp_path, server, sleeps):
    cut = len(server.body) * 2 // 3
    # A reset discards what the client has not read yet: give it a moment to read first
    # (had it read nothing, the retry would rightly start from byte 0).
    server.cuts, server.reset, server.stall = [cut], True, 0.2
    data = fetch(tmp_path / "data", server)
    assert len(data.x_train) == 5 * PER_BATCH
    assert len(server.requests) == 2 and sleeps == [_files.BACKOFF]
    resumed = server.requests[1]
    assert resumed is None or 0 < int(resumed.removeprefix("bytes=").rstrip("-")) <= cut


def test_connection_dropped_many_times_still_completes(tmp_path, server, sleeps):
    step = len(server.body) // 10
    server.cuts = [step] * 12
    assert len(fetch(tmp_path / "data", server, retries=1).x_train) == 5 * PER_BATCH
    assert server.requests[1:4] == [f"bytes={step}-", f"bytes={2 * step}-", f"bytes={3 * step}-"]


def test_stalled_connection_times_out_and_resumes(tmp_path, server, sleeps):
    cut = len(server.body) // 2
    # The server falls silent until the test ends; the client's timeout alone ends the wait.
    # It is long enough that a busy machine's slow answer to the first request is no stall.
    server.cuts, server.stall = [cut], 600.0
    data = fetch(tmp_path / "data", server, timeout=2.0)
    assert len(data.x_train) == 5 * PER_BATCH
    assert server.requests == [None, f"bytes={cut}-"]


def test_server_ignoring_range_is_started_over_cleanly(tmp_path, server, sleeps):
    server.ranges, server.cuts = False, [len(server.body) // 2]
    data = fetch(tmp_path / "data", server)  # the md5 check proves nothing was appended twice
    assert len(data.x_train) == 5 * PER_BATCH
    assert server.requests == [None, f"bytes={len(server.body) // 2}-"]


def test_partial_file_of_an_earlier_run_is_resumed(tmp_path, server):
    root = tmp_path / "data"
    root.mkdir()
    have = len(server.body) * 2 // 5
    (root / (ARCHIVE + ".part")).write_bytes(server.body[:have])
    assert len(fetch(root, server).x_train) == 5 * PER_BATCH
    assert server.requests == [f"bytes={have}-"]


def test_part_longer_than_the_file_is_discarded(tmp_path, server):
    root = tmp_path / "data"
    root.mkdir()
    (root / (ARCHIVE + ".part")).write_bytes(b"x" * (len(server.body) + 5))
    assert len(fetch(root, server).x_train) == 5 * PER_BATCH
    assert server.requests == [None]


def test_temporary_http_errors_are_retried_with_growing_backoff(tmp_path, server, sleeps):
    server.statuses = [503, 429, 500]
    assert len(fetch(tmp_path / "data", server, backoff=0.5).x_train) == 5 * PER_BATCH
    assert sleeps == [0.5, 1.0, 2.0] and len(server.requests) == 4


def test_backoff_is_capped(tmp_path, server, sleeps):
    server.statuses = [503] * 9
    fetch(tmp_path / "data", server, backoff=10.0, retries=9)
    assert sleeps == [10.0, 20.0, 40.0] + [_files.MAX_BACKOFF] * 6


def test_gives_up_after_retries_without_progress_and_keeps_the_part(tmp_path, server, sleeps):
    root = tmp_path / "data"
    first = len(server.body) // 3
    server.cuts = [first, 0, 0, 0]
    with pytest.raises(DownloadError, match="gave up after 3 attempts") as info:
        fetch(root, server, retries=2)
    message = str(info.value)
    assert f"{first:,} of {len(server.body):,} bytes" in message and "run again" in message
    assert "by hand" in message and server.url in message
    assert names(root) == [ARCHIVE + ".part"]  # never under the archive's own name
    assert len(server.requests) == 4

    server.cuts = []
    assert len(fetch(root, server).x_train) == 5 * PER_BATCH
    assert server.requests[-1] == f"bytes={first}-"


def test_retries_are_reported_on_stderr_when_progress_is_shown(tmp_path, server, sleeps, capsys):
    server.cuts = [100]
    fetch(tmp_path / "a", server, progress=True)
    assert "closed after 100 of" in capsys.readouterr().err


def test_retries_are_reported_without_tqdm(tmp_path, server, sleeps, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import now fails
    server.cuts = [100]
    fetch(tmp_path / "a", server, progress=True)
    assert "retrying in" in capsys.readouterr().err


def test_corrupt_file_is_rejected_and_removed(tmp_path, server, sleeps):
    good_md5 = hashlib.md5(server.body).hexdigest()
    server.body = server.body[:100] + bytes([server.body[100] ^ 1]) + server.body[101:]
    server.cuts = [len(server.body) // 2]  # resumed, then verified as a whole
    root = tmp_path / "data"
    with pytest.raises(DownloadError, match=f"expected {good_md5}; deleted it"):
        fetch(root, server, md5=good_md5)
    assert names(root) == []


def test_oversized_download_is_rejected_and_removed(tmp_path, server):
    server.length = "omit"
    root = tmp_path / "data"
    with pytest.raises(DownloadError, match="more than the expected 100 bytes"):
        fetch(root, server, size=100)
    assert names(root) == []


def test_wrong_announced_length_fails_at_once(tmp_path, server):
    with pytest.raises(DownloadError, match=f"offers {len(server.body):,} bytes, expected 100"):
        fetch(tmp_path / "data", server, size=100)
    assert server.requests == [None]


def test_lasting_http_error_fails_at_once(tmp_path, server, sleeps):
    server.statuses = [404]
    with pytest.raises(DownloadError, match="404"):
        fetch(tmp_path, server)
    assert len(server.requests) == 1 and sleeps == []


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
    assert datasets.MIRROR_ENV in message


def test_mirror_url_from_the_environment(tmp_path, server, monkeypatch):
    monkeypatch.setenv(datasets.MIRROR_ENV, server.url)
    assert datasets.cifar10_url() == server.url
    data = fetch(tmp_path / "data", server, url=None)
    assert len(data.x_train) == 5 * PER_BATCH and server.requests == [None]


def test_official_url_without_a_mirror():
    assert datasets.cifar10_url() == datasets.CIFAR10_URL


def test_cache_folder_follows_xdg_cache_home(tmp_path, monkeypatch, server):
    assert data_dir() == tmp_path / "home" / ".cache" / "minigrad"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "minigrad"
    fetch(None, server)
    assert names(tmp_path / "xdg" / "minigrad") == [FOLDER, ARCHIVE]
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
    assert data_dir(tmp_path / "given") == tmp_path / "given"


def test_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert data_dir() == tmp_path / "home" / ".cache" / "minigrad"


def test_minigrad_train_looks_for_the_mirror(tmp_path, monkeypatch):
    from minigrad.train import data as train_data

    url = closed_port_url()
    monkeypatch.setenv(datasets.MIRROR_ENV, url)
    name, sentence = train_data.resolve_dataset("auto", tmp_path / "data")
    assert name == "digits" and f"{url} is unreachable" in sentence
