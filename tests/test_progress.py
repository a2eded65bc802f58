"""The progress bar: drawn on a terminal, silent under cron (stderr not a terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

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
