"""Writing files when the disk is full or the run is killed: one line, nothing partial,
no temporary file left behind, and the index resumes where it stopped."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.cli.digest_cmd import write_output
from listdigest.demo import build_archive
from listdigest.errors import ListdigestError

EXE = str(Path(sys.executable).parent / "listdigest")


def patch(n: int) -> bytes:
    return (f"From: Dev {n % 50} <dev{n % 50}@example.org>\n"
            f"Subject: [PATCH v2 {n % 7 + 1}/7] subsystem: a long subject, number {n} "
            + "word " * 30 + f"\nDate: Mon, 7 Apr 2025 10:{n % 60:02d}:00 +0000\n"
            f"Message-ID: <m-{n}@example.org>\n\nBody {n}.\n").encode()


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 patch emails: an index of 3.6 MB, a JSON digest of about 2 MB."""
    return build_archive(tmp_path_factory.mktemp("full") / "inbox",
                         [patch(n) for n in range(3000)])


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder`` (we run as root), unmounted after."""
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip("NO FULL-DISK TEST ON THIS MACHINE: mounting a tmpfs failed "
                    f"({done.stderr.strip()}); it needs root on Linux")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def grow(folder: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)


def rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as con:
        return [*con.execute("SELECT * FROM messages ORDER BY epoch, pos"),
                *con.execute("SELECT * FROM epochs ORDER BY epoch")]


def test_an_index_build_on_a_full_disk_stops_with_one_line_and_resumes(
        inbox: Path, tmp_path: Path) -> None:
    roomy = tmp_path / "roomy.sqlite"
    assert CliRunner().invoke(cli, ["index", str(inbox), "--db", str(roomy)]).exit_code == 0
    with small_disk(tmp_path / "disk", "3m") as disk:
        db = disk / "i.sqlite"
        full = subprocess.run([EXE, "index", str(inbox), "--db", str(db)],
                              capture_output=True, text=True, check=False)
        assert (full.returncode, full.stderr) == (
            1, f"listdigest: error: index {db}: database or disk is full\n")
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            (kept,) = con.execute("SELECT count(*) FROM messages").fetchone()
        grow(disk, "16m")
        again = subprocess.run([EXE, "index", str(inbox), "--db", str(db)],
                               capture_output=True, text=True, check=False)
        assert again.returncode == 0, again.stderr
        # The rows stored before the disk filled are kept; the rerun reads the rest.
        assert f"indexed {3000 - kept} new commits; 3000 in the index" in again.stderr
        assert rows(db) == rows(roomy)


def test_digest_to_a_full_disk_or_dev_full_is_one_line_and_leaves_nothing(
        inbox: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        target = disk / "week.json"
        target.write_text("the digest of last week\n")
        result = subprocess.run([EXE, "digest", str(inbox), "--format", "json", "-q",
                                 "--no-history", "-o", str(target)],
                                capture_output=True, text=True, check=False)
        assert (result.returncode, result.stderr) == (
            1, f"listdigest: error: cannot write {target}: No space left on device\n")
        assert [p.name for p in disk.iterdir()] == ["week.json"]  # no temporary file
        assert target.read_text() == "the digest of last week\n"
    result = subprocess.run([EXE, "digest", str(inbox), "-q", "--no-history",
                             "-o", "/dev/full"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (
        1, "listdigest: error: cannot write /dev/full: No space left on device\n")


def test_update_to_a_full_disk_fails_its_list_and_publishes_the_range_next_time(
        inbox: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "256k") as disk:
        config = tmp_path / "lists.toml"
        config.write_text(f'output = "{disk}"\nformats = ["json"]\n[lists.l]\n'
                          f'archive = "{inbox}"\ndb = "{tmp_path}/l.sqlite"\n'
                          'since = "2025-04-01"\n')
        full = subprocess.run([EXE, "update", "--config", str(config)],
                              capture_output=True, text=True, check=False)
        assert full.returncode == 1
        (written,) = [line for line in full.stderr.splitlines() if "error" in line]
        assert re.fullmatch(rf"\S+ listdigest: error: l: cannot write {disk}/l/l-"
                            r"\d{4}-\d\d-\d\d-[0-9a-f]{9}\.json: No space left on device",
                            written)
        assert list((disk / "l").iterdir()) == []
        grow(disk, "16m")
        again = subprocess.run([EXE, "update", "--config", str(config)],
                               capture_output=True, text=True, check=False)
        assert again.returncode == 0, again.stderr
        (digest,) = (disk / "l").iterdir()
        assert '"patch_emails": 3000' in digest.read_text()  # the position had not moved


def test_a_digest_killed_mid_write_leaves_no_temporary_file(
        kvmarm: Path, kvmarm_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "kvmarm.json"
    target.write_text("the previous digest\n")
    proc = subprocess.Popen([EXE, "digest", str(kvmarm), "--db", str(kvmarm_db), "--format",
                             "json", "--since", "2022-01-01", "-q", "-o", str(target)])
    writing = None
    while writing is None and proc.poll() is None:  # until it has its file open
        for fd in os.listdir(f"/proc/{proc.pid}/fd"):
            try:
                if os.readlink(f"/proc/{proc.pid}/fd/{fd}").startswith(f"{out}/"):
                    writing = fd
            except OSError:
                pass  # closed meanwhile
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert writing is not None, "the digest ended before it was seen writing"
    assert [p.name for p in out.iterdir()] == ["kvmarm.json"]
    assert target.read_text() == "the previous digest\n"


def test_without_o_tmpfile_a_named_temporary_file_is_used_and_stale_ones_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = subprocess.Popen(["true"])  # a pid that ran and ended
    dead.wait()
    target = tmp_path / "d.txt"
    stale = tmp_path / f".d.txt.{dead.pid}.k3x_9abc"  # left by a SIGKILLed writer
    running = tmp_path / f".d.txt.{os.getppid()}.k3x_9abc"  # a writer at work
    other = tmp_path / ".d.txt.notes"
    for p in (stale, running, other):
        p.write_text("x")
    monkeypatch.delattr(os, "O_TMPFILE")

    def failing() -> Iterator[str]:
        yield "half"
        raise OSError(28, "No space left on device")

    with pytest.raises(ListdigestError, match="No space left on device"):
        write_output(failing(), str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [running.name, other.name])  # the stale one went; the failed write left nothing
    write_output(["one ", "two\n"], str(target))
    assert target.read_text() == "one two\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [running.name, other.name, "d.txt"])


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
