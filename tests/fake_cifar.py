"""Test helpers: tiny CIFAR-10 folders and archives in the official layout, and a local HTTP
server that misbehaves the ways real networks and servers do."""

import http.server
import io
import pickle
import socket
import struct
import tarfile
import threading

import numpy as np

from minigrad.data import datasets

PER_BATCH = 4
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"


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
    """A threaded HTTP server on 127.0.0.1 serving `body` at `url`.

    `requests` lists the `Range` header of each request (None without one). Knobs:
    `statuses`: error statuses answered, in turn, before anything is served;
    `ranges`: honour `Range: bytes=N-` with a 206 (else ignore it and send everything);
    `cuts`: request i sends only `cuts[i]` body bytes (None: all) and then hangs up, with a
    clean close, or with a reset (`reset=True`), or after `stall` seconds of silence (cut
    short when the server closes, so a long stall costs a test nothing);
    `length`: the Content-Length claimed (None: the true one, "omit": no header).
    """

    def __init__(self):
        self.body, self.statuses, self.ranges, self.cuts = b"", [], True, []
        self.reset, self.stall, self.length, self.requests = False, 0.0, None, []
        self.closing = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(self.headers.get("Range"))
                if owner.statuses:
                    self.send_error(owner.statuses.pop(0))
                    return
                payload = owner.respond(self, self.headers.get("Range"))
                cut = owner.cuts[len(owner.requests) - 1 :][:1] or [None]
                self.wfile.write(payload[: cut[0]])
                if cut[0] is not None:
                    owner.hang_up(self)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/{ARCHIVE}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def respond(self, handler, range_header):
        """Send the status line and headers; return the body bytes to send."""
        start = 0
        if range_header and self.ranges:
            start = int(range_header.removeprefix("bytes=").rstrip("-"))
            handler.send_response(206)
            end = len(self.body) - 1
            handler.send_header("Content-Range", f"bytes {start}-{end}/{len(self.body)}")
        else:
            handler.send_response(200)
        payload = self.body[start:]
        if self.length != "omit":
            length = len(payload) if self.length is None else self.length
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        return payload

    def hang_up(self, handler):
        handler.wfile.flush()
        if self.stall:  # not time.sleep, which tests replace to skip the client's backoff
            self.closing.wait(self.stall)
        if self.reset:  # SO_LINGER 0: close() sends RST, the client sees a reset connection
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_0)
            handler.rfile.close()  # it holds a reference that would delay the close
            handler.connection.close()
        handler.close_connection = True

    def close(self):
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


_LINGER_0 = struct.pack("ii", 1, 0)
