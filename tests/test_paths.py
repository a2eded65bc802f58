"""Paths whose names hold bytes that are not UTF-8 (Linux allows any byte but / and NUL):
an archive folder, --db, -o, a config file and its path values. Every command works
with them, and a message names them readably (``\\xff``), never a UnicodeEncodeError."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from listdigest.demo import build_archive

EXE = str(Path(sys.executable).parent / "listdigest")
FF = os.fsdecode(b"\xff")  # how Python holds the byte in a name: "\udcff"


def patch(n: int) -> bytes:
    return (f"From: Dev {n} <dev{n}@example.org>\nSubject: [PATCH] fix {n}\n"
            f"Date: Mon, 7 Apr 2025 10:{n:02d}:00 +0000\nMessage-ID: <fix-{n}@example.org>\n"
            f"\nFix {n}.\n").encode()


def run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    """The command as a shell runs it, its output as bytes (a UTF-8 locale)."""
    return subprocess.run([EXE, *map(str, args)], capture_output=True, check=False,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    return build_archive(tmp_path / f"arch{FF}", [patch(1), patch(2)])


def test_every_command_takes_an_archive_db_and_output_named_with_non_utf8_bytes(
        inbox: Path, tmp_path: Path) -> None:
    db, out = tmp_path / f"i{FF}.sqlite", tmp_path / f"out{FF}"
    index = run("index", inbox, "--db", db)
    assert index.returncode == 0, index.stderr
    assert index.stderr.splitlines()[-1] == (
        f"listdigest: index: {tmp_path}/i\\xff.sqlite".encode())
    text = run("digest", inbox, "-q")
    assert text.returncode == 0, text.stderr
    # The list is named after its folder; the byte is shown as \xff in the digest.
    assert text.stdout.splitlines()[1].startswith(b"arch\\xff mailing list update from ")
    for fmt in ("json", "html", "atom"):
        written = run("digest", inbox, "--db", db, "--format", fmt, "-q",
                      "-o", out / f"d{FF}.{fmt}")
        assert written.returncode == 0, written.stderr
    data = json.loads((out / f"d{FF}.json").read_text())
    assert (data["list"], data["summary"]["patch_emails"]) == ("arch\\xff", 2)
    assert sorted(p.name for p in out.iterdir()) == [f"d{FF}.atom", f"d{FF}.html",
                                                     f"d{FF}.json"]
    stats = run("stats", inbox, "--db", db, "--format", "json", "-q")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["list"] == "arch\\xff"
    series = run("series", inbox, "fix-2@example.org", "--db", db, "-o", out / f"s{FF}.txt")
    assert series.returncode == 0, series.stderr
    assert (out / f"s{FF}.txt").read_text().splitlines()[0] == "fix 2 (1 posting)"
    mirrored = run("mirror", inbox, tmp_path / f"copy{FF}")
    assert mirrored.returncode == 0, mirrored.stderr
    assert mirrored.stdout.splitlines()[-1].endswith(b"/copy\\xff: 2 messages")
    assert run("digest", tmp_path / f"copy{FF}", "-q").returncode == 0


def test_a_missing_path_with_non_utf8_bytes_is_named_readably(tmp_path: Path) -> None:
    gone = run("digest", tmp_path / f"gone{FF}")
    assert (gone.returncode, gone.stderr) == (
        1, f"listdigest: error: no such archive: {tmp_path}/gone\\xff\n".encode())
    (tmp_path / f"file{FF}").write_text("")
    inbox = build_archive(tmp_path / "inbox", [patch(1)])
    blocked = run("digest", inbox, "-q", "-o", tmp_path / f"file{FF}" / "sub" / "d.txt")
    assert (blocked.returncode, blocked.stderr) == (
        1, f"listdigest: error: cannot write {tmp_path}/file\\xff/sub/d.txt: "
           f"{tmp_path}/file\\xff is not a folder\n".encode())


def test_update_with_a_config_file_and_path_values_named_with_non_utf8_bytes(
        inbox: Path, tmp_path: Path) -> None:
    config = tmp_path / f"lists{FF}.toml"
    mailmap = tmp_path / f"mm{FF}"
    mailmap.write_text("")
    raw = os.fsencode
    config.write_bytes(
        b'output = "' + raw(tmp_path / f"out{FF}") + b'"\nformats = ["text", "json"]\n'
        b'[lists.k]\narchive = "' + raw(inbox) + b'"\ndb = "' + raw(tmp_path / f"k{FF}.db")
        + b'"\nmailmap = "' + raw(mailmap) + b'"\nsince = "2025-01-01"\n'
        b'[lists.bad]\narchive = "' + raw(inbox) + b'"\nname = "Bad\xff"\n')
    result = run("update", "--config", config)
    assert result.returncode == 1  # list bad's name
    lines = result.stderr.splitlines()
    assert lines[0].endswith(f"listdigest: error: {tmp_path}/lists\\xff.toml: [lists.bad]: "
                             "name is not UTF-8 text: 'Bad\\xff' (bad is not run)".encode())
    assert lines[-1].endswith(f"listdigest: k: wrote {tmp_path}/out\\xff/k/k-".encode()
                              + lines[-1].rsplit(b"/k-", 1)[1])
    (digest,) = (tmp_path / f"out{FF}" / "k").glob("*.json")
    assert json.loads(digest.read_text())["summary"]["patch_emails"] == 2
    again = run("update", "--config", config, "k")
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[-1].endswith(b"listdigest: k: no new messages")
