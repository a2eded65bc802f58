"""A local lore: a smart-HTTP git server (git http-backend) in a thread on 127.0.0.1,
serving one list, LIST, the way lore.kernel.org does: epoch N at /LIST/N, and
optionally /LIST/manifest.js.gz and /LIST/_/text/config/raw. Tests never reach
the internet."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

INBOX_CONFIG = b'[publicinbox "list"]\n\taddress = list@example.org\n'


def git_out(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True,
                          check=True).stdout.decode().strip()


def email(n: int) -> bytes:
    return (f"From: Dev {n} <dev{n}@example.org>\nTo: list@example.org\n"
            f"Subject: [PATCH] change {n}\nMessage-ID: <msg{n}@example.org>\n\n"
            f"Body of message {n}.\n").encode()


def add_messages(repo: Path, numbers: Iterable[int], parent: str | None = None) -> str:
    """Commit one message per number as file ``m``, as public-inbox does, on top of
    ``parent`` (a new root when None); fast-import --force allows rewriting. Returns the tip."""
    stream = bytearray()
    for i, n in enumerate(numbers):
        msg, subject = email(n), f"change {n}".encode()
        stream += b"commit refs/heads/master\n"
        stream += f"committer A <a@example.org> {1_700_000_000 + n} +0000\n".encode()
        stream += b"data %d\n%s\n" % (len(subject), subject)
        if i == 0 and parent:
            stream += f"from {parent}\n".encode()
        stream += b"M 100644 inline m\ndata %d\n%s\n" % (len(msg), msg)
    subprocess.run(["git", "--git-dir", str(repo), "fast-import", "--quiet", "--force"],
                   input=bytes(stream), check=True)
    return git_out(repo, "rev-parse", "refs/heads/master")


def new_epoch(root: Path, n: int, numbers: Iterable[int]) -> Path:
    repo = root / "git" / f"{n}.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=master", str(repo)],
                   check=True)
    add_messages(repo, numbers)
    return repo


def count(repo: Path) -> int:
    return int(git_out(repo, "rev-list", "--count", "HEAD"))


@dataclass
class Lore:
    """The test server: ``url`` of the list, its inbox folder ``root`` (git/N.git), the
    switches for the optional files, and the paths it was asked for."""

    url: str
    root: Path
    manifest: bool = False
    requests: list[str] = field(default_factory=list)
    layout: str = "lore"
    """"lore" serves epoch N at /LIST/N; "grokmirror" at /LIST/git/N.git only."""
    broken: set[int] = field(default_factory=set)
    """Epochs whose git requests fail (500), as a server falling over mid-clone."""


class _Handler(BaseHTTPRequestHandler):
    lore: Lore  # set on the subclass each test builds

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass

    def _serve(self) -> None:
        url = urlsplit(self.path)
        self.lore.requests.append(url.path)
        if self.lore.manifest and url.path == "/LIST/manifest.js.gz":
            epochs = sorted(int(p.name.split(".")[0]) for p in (self.lore.root / "git").iterdir())
            manifest = {f"/LIST/git/{n}.git": {"description": f"Test list [epoch {n}]",
                                               "modified": 1_700_000_000} for n in epochs}
            return self._reply(200, {}, gzip.compress(json.dumps(manifest).encode()))
        if self.lore.manifest and url.path == "/LIST/_/text/config/raw":
            return self._reply(200, {"Content-Type": "text/plain"}, INBOX_CONFIG)
        pattern = r"^/LIST/git/(\d+)\.git(/.*)$" if self.lore.layout == "grokmirror" else \
            r"^/LIST/(\d+)(/.*)$"
        m = re.match(pattern, url.path)
        if not m:
            return self._reply(404, {}, b"not found\n")
        if int(m[1]) in self.lore.broken:
            return self._reply(500, {}, b"server error\n")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.lore.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/git/{m[1]}.git{m[2]}",
            "REQUEST_METHOD": self.command,
            "QUERY_STRING": url.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
        }
        for header, var in (("Git-Protocol", "GIT_PROTOCOL"),
                            ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
            if value := self.headers.get(header):
                env[var] = value
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                             check=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if line)
        status = int(headers.pop("Status", "200").split()[0])
        self._reply(status, headers, payload)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def lore(tmp_path: Path) -> Iterator[Lore]:
    """A server with epoch 0 (messages 1-3) and epoch 1 (messages 4-7), no manifest."""
    root = tmp_path / "server"
    new_epoch(root, 0, [1, 2, 3])
    new_epoch(root, 1, [4, 5, 6, 7])
    handler = type("Handler", (_Handler,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.lore = Lore(f"http://127.0.0.1:{httpd.server_address[1]}/LIST", root)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield handler.lore
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


