"""The progress bar: drawn on a terminal, silent under cron (stderr not a terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from listdigest.demo import build_archive, demo_messages

LISTDIGEST = [sys.executable, "-c", "from listdigest.cli import main; main()"]


def stderr_of(args: list[str], *, terminal: bool) -> bytes:
    """Run listdigest with stderr on a pseudo-terminal or a pipe; return what it wrote."""
    if not terminal:
        return subprocess.run([*LISTDIGEST, *args], capture_output=True, check=True).stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen([*LISTDIGEST, *args], stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait() == 0
    return out


def test_index_draws_a_bar_on_a_terminal_only(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "demo", demo_messages())
    on_terminal = stderr_of(["index", str(inbox), "--db", str(tmp_path / "a.sqlite")],
                            terminal=True)
    assert b"indexing" in on_terminal and b"msg/s" in on_terminal
    assert b"listdigest: indexed 10 new commits; 10 in the index" in on_terminal
    piped = stderr_of(["index", str(inbox), "--db", str(tmp_path / "b.sqlite")],
                      terminal=False)
    assert piped.decode().splitlines() == [
        "listdigest: indexed 10 new commits; 10 in the index",
        f"listdigest: index: {tmp_path / 'b.sqlite'}",
    ]


def test_a_long_git_scan_shows_progress_and_suggests_an_index_once(
        kvmarm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # no index: the digest reads git
    args = ["digest", str(kvmarm), "..a5c27a621371"]  # the first 2,500 commits
    on_terminal = stderr_of(args, terminal=True).decode()
    hint = (f"listdigest: hint: `listdigest index {kvmarm}` keeps an index of the list; "
            "digest and stats then read it instead of git, in a fraction of the time")
    assert "reading git" in on_terminal
    assert on_terminal.count(hint) == 1
    piped = stderr_of(args, terminal=False).decode()
    assert "reading git" not in piped and "hint" not in piped
    short = stderr_of(["digest", str(kvmarm), "..9a1aa4356905"], terminal=True).decode()
    assert "hint" not in short  # 30 commits: no need
