"""CIFAR-10 loading and extraction, on small synthetic files in the official layout."""

import os
import pickle
import tarfile

import numpy as np
import pytest
from fake_cifar import (
    ARCHIVE,
    FOLDER,
    PER_BATCH,
    add_file,
    make_archive,
    write_cifar,
)

from minigrad.data import datasets
from minigrad.data.datasets import (
    DatasetError,
    cifar10_available,
    find_cifar10,
    load_cifar10,
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Never look at the real ~/.cache, $XDG_CACHE_HOME or $MINIGRAD_DATA."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("MINIGRAD_DATA", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)


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


def test_cached_copy_never_touches_the_network(tmp_path, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("a cached copy must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    write_cifar(tmp_path)
    assert len(load_cifar10(tmp_path, url="http://127.0.0.1:9/x").x_train) == 5 * PER_BATCH
