"""``listdigest mirror`` against a local smart-HTTP git server (git http-backend), never
the internet. The server serves one list, LIST, the way lore does: epoch N at /LIST/N,
and optionally /LIST/manifest.js.gz and /LIST/_/text/config/raw."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.errors import ArchiveError
from listdigest.sources.archive import Archive
from listdigest.sources.mirror import mirror, update

INBOX_CONFIG = b'[publicinbox "list"]\n\taddress = list@example.org\n'


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True,
                          check=True).stdout.decode().strip()


def _email(n: int) -> bytes:
    return (f"From: Dev {n} <dev{n}@example.org>\nTo: list@example.org\n"
            f"Subject: [PATCH] change {n}\nMessage-ID: <msg{n}@example.org>\n\n"
            f"Body of message {n}.\n").encode()


def _add_messages(repo: Path, numbers: Iterable[int], parent: str | None = None) -> str:
    """Commit one message per number as file ``m``, as public-inbox does, on top of
    ``parent`` (a new root when None); fast-import --force allows rewriting. Returns the tip."""
    stream = bytearray()
    for i, n in enumerate(numbers):
        msg, subject = _email(n), f"change {n}".encode()
        stream += b"commit refs/heads/master\n"
        stream += f"committer A <a@example.org> {1_700_000_000 + n} +0000\n".encode()
        stream += b"data %d\n%s\n" % (len(subject), subject)
        if i == 0 and parent:
            stream += f"from {parent}\n".encode()
        stream += b"M 100644 inline m\ndata %d\n%s\n" % (len(msg), msg)
    subprocess.run(["git", "--git-dir", str(repo), "fast-import", "--quiet", "--force"],
                   input=bytes(stream), check=True)
    return _git(repo, "rev-parse", "refs/heads/master")


def _new_epoch(root: Path, n: int, numbers: Iterable[int]) -> Path:
    repo = root / "git" / f"{n}.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=master", str(repo)],
                   check=True)
    _add_messages(repo, numbers)
    return repo


def _count(repo: Path) -> int:
    return int(_git(repo, "rev-list", "--count", "HEAD"))


@dataclass
class Lore:
    """The test server: ``url`` of the list, its inbox folder ``root`` (git/N.git), the
    switches for the optional files, and the paths it was asked for."""

    url: str
    root: Path
    manifest: bool = False
    requests: list[str] = field(default_factory=list)


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
        m = re.match(r"^/LIST/(\d+)(/.*)$", url.path)
        if not m:
            return self._reply(404, {}, b"not found\n")
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
    _new_epoch(root, 0, [1, 2, 3])
    _new_epoch(root, 1, [4, 5, 6, 7])
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


def _assert_same(dest: Path, lore: Lore, epochs: Iterable[int]) -> None:
    for n in epochs:
        src, clone = lore.root / "git" / f"{n}.git", dest / "git" / f"{n}.git"
        assert _count(clone) == _count(src)
        assert _git(clone, "rev-parse", "HEAD") == _git(src, "rev-parse", "HEAD")


def test_mirror_uses_the_manifest(lore: Lore, tmp_path: Path) -> None:
    lore.manifest = True
    dest = tmp_path / "mirror"
    paths = mirror(lore.url, dest)
    assert paths == [dest / "git" / "0.git", dest / "git" / "1.git"]
    assert [e.number for e in Archive.open(dest).epochs] == [0, 1]
    _assert_same(dest, lore, [0, 1])
    assert [_count(p) for p in paths] == [3, 4]
    assert _git(paths[1], "config", "remote.origin.url") == f"{lore.url}/1"
    assert not any(p.startswith("/LIST/2") for p in lore.requests)  # no probing
    assert gzip.decompress((dest / "manifest.js.gz").read_bytes()).startswith(b"{")
    assert (dest / "description").read_text() == "Test list\n"
    assert (paths[0] / "description").read_text() == "Test list [epoch 0]\n"
    assert (dest / "inbox.config.example").read_bytes() == INBOX_CONFIG


def test_mirror_probes_without_a_manifest(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    paths = mirror(lore.url + "/", dest)
    assert paths == [dest / "git" / "0.git", dest / "git" / "1.git"]
    assert [e.number for e in Archive.open(dest).epochs] == [0, 1]
    _assert_same(dest, lore, [0, 1])
    assert "/LIST/manifest.js.gz" in lore.requests
    assert "/LIST/2/info/refs" in lore.requests  # the probe that ended discovery
    assert sorted(p.name for p in dest.iterdir()) == ["description", "git"]
    assert (dest / "description").read_text() == f"mirror of {lore.url}\n"


@pytest.mark.parametrize("manifest", [True, False], ids=["manifest", "probe"])
def test_update_fetches_new_messages_and_new_epoch(lore: Lore, tmp_path: Path,
                                                    manifest: bool) -> None:
    lore.manifest = manifest
    dest = tmp_path / "mirror"
    mirror(lore.url, dest)
    tip0 = _git(lore.root / "git" / "0.git", "rev-parse", "HEAD")
    old1 = _git(lore.root / "git" / "1.git", "rev-parse", "HEAD")
    new1 = _add_messages(lore.root / "git" / "1.git", [8, 9], parent=old1)
    tip2 = _git(_new_epoch(lore.root, 2, [10, 11]), "rev-parse", "HEAD")

    result = update(dest)

    assert result.url == lore.url
    assert [(c.number, c.status, c.old, c.new, c.forced) for c in result.epochs] == [
        (0, "unchanged", tip0, tip0, False),
        (1, "updated", old1, new1, False),
        (2, "cloned", None, tip2, False),
    ]
    assert [e.number for e in Archive.open(dest).epochs] == [0, 1, 2]
    _assert_same(dest, lore, [0, 1, 2])
    assert _count(dest / "git" / "1.git") == 6
    assert _git(dest / "git" / "2.git", "config", "remote.origin.url") == f"{lore.url}/2"
    again = update(dest)
    assert [c.status for c in again.epochs] == ["unchanged"] * 3


def test_update_follows_rewritten_history(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    mirror(lore.url, dest)
    server1 = lore.root / "git" / "1.git"
    old = _git(server1, "rev-parse", "HEAD")
    first = _git(server1, "rev-list", "--max-parents=0", "HEAD")  # message 4
    rewritten = _add_messages(server1, [6, 7], parent=first)  # drops message 5

    result = update(dest)

    change = result.epochs[1]
    assert (change.status, change.old, change.new, change.forced) == (
        "updated", old, rewritten, True)
    assert result.epochs[0].status == "unchanged"
    clone = dest / "git" / "1.git"
    assert _git(clone, "rev-parse", "HEAD") == rewritten
    assert _count(clone) == 3
    assert _git(clone, "for-each-ref", "--contains", old) == ""
    subjects = _git(clone, "log", "--format=%s", "HEAD").split("\n")
    assert subjects == ["change 7", "change 6", "change 4"]


def test_unreachable_url(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "mirror"
    with pytest.raises(ArchiveError, match="cannot reach") as exc:
        mirror(f"http://127.0.0.1:{port}/LIST", dest)
    assert "\n" not in str(exc.value)
    assert not dest.exists()


def test_url_that_is_not_an_archive(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    with pytest.raises(ArchiveError, match="is not a public-inbox v2 archive") as exc:
        mirror(lore.url.replace("/LIST", "/OTHER"), dest)
    assert "\n" not in str(exc.value)
    assert not dest.exists()
    with pytest.raises(ArchiveError, match="not an http"):
        mirror(str(lore.root), dest)


def test_mirror_refuses_a_non_empty_folder(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    with pytest.raises(ArchiveError, match="not empty"):
        mirror(lore.url, dest)
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_update_needs_a_mirror(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="is not a mirror"):
        update(tmp_path)
    local = tmp_path / "local"
    subprocess.run(["git", "init", "-q", "--bare", str(local / "git" / "0.git")], check=True)
    with pytest.raises(ArchiveError, match="has no remote origin") as exc:
        update(local)
    assert "\n" not in str(exc.value)


def test_cli_mirror_and_update(lore: Lore, tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "mirror"
    tips = [_git(lore.root / "git" / f"{n}.git", "rev-parse", "HEAD") for n in (0, 1)]

    result = runner.invoke(cli, ["mirror", lore.url, str(dest)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"epoch 0: cloned {tips[0][:12]}",
        f"epoch 1: cloned {tips[1][:12]}",
        f"mirrored 2 epochs of {lore.url} into {dest}",
    ]
    new1 = _add_messages(lore.root / "git" / "1.git", [8], parent=tips[1])
    tip2 = _git(_new_epoch(lore.root, 2, [9]), "rev-parse", "HEAD")

    result = runner.invoke(cli, ["mirror", "--update", str(dest)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"epoch 0: unchanged {tips[0][:12]}",
        f"epoch 1: updated {tips[1][:12]}..{new1[:12]}",
        f"epoch 2: cloned {tip2[:12]}",
        f"updated {dest} from {lore.url}: 1 cloned, 1 updated, 1 unchanged",
    ]
    first = _git(lore.root / "git" / "1.git", "rev-list", "--max-parents=0", "HEAD")
    rewritten = _add_messages(lore.root / "git" / "1.git", [6], parent=first)

    result = runner.invoke(cli, ["mirror", "--update", str(dest)])

    assert result.output.splitlines()[1] == (
        f"epoch 1: updated {new1[:12]}...{rewritten[:12]} (forced)")


def test_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["mirror", "--update", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.startswith("listdigest: error: ")
    assert "is not a mirror" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    for args in (["mirror", "https://lore.kernel.org/x"],
                 ["mirror", "--update", "https://lore.kernel.org/x", str(tmp_path)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
