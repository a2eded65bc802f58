"""The index never loses data and never hangs: other programs' databases, folders,
symlinks, read-only folders, full disks, dying workers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from listdigest.cli import cli
from listdigest.demo import build_archive
from listdigest.errors import WorkerError
from listdigest.index import open_index, update_index
from listdigest.index import update as index_update
from listdigest.sources.archive import Archive


def mail(n: int) -> bytes:
    return (f"From: Dev <dev@example.org>\nSubject: [PATCH] change {n}\n"
            f"Date: Mon, 7 Apr 2025 10:{n:02d}:00 +0000\nMessage-ID: <change-{n}@example.org>\n"
            f"\nChange {n}.\n").encode()


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("robust") / "inbox", [mail(n) for n in range(12)])


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_another_programs_database_is_refused_and_left_alone(inbox: Path,
                                                               tmp_path: Path) -> None:
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE messages (id INTEGER, text TEXT)")
        conn.execute("INSERT INTO messages VALUES (1, 'keep me')")
    for args in (["index", str(inbox), "--db", str(db)],
                 ["digest", str(inbox), "--db", str(db)]):
        result = run(*args)
        assert result.exit_code == 1
        assert result.stderr == (f"listdigest: error: {db} is another program's SQLite "
                                 "database, not a listdigest index (tables: messages); "
                                 "left untouched\n")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT * FROM messages").fetchall() == [(1, "keep me")]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_file_that_is_no_database_is_one_line(inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my notes\n" * 100)
    result = run("index", str(inbox), "--db", str(db))
    assert result.exit_code == 1
    assert result.stderr == (f"listdigest: error: cannot open index {db}: file is not a "
                             "database\n")
    assert db.read_text() == "my notes\n" * 100


def test_db_that_is_a_folder_is_one_line(inbox: Path, tmp_path: Path) -> None:
    result = run("digest", str(inbox), "--db", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"listdigest: error: index {tmp_path} is a folder, not an index file\n"


def test_an_index_reached_through_a_symlink_has_one_lock(inbox: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.sqlite"
    link = tmp_path / "link.sqlite"
    link.symlink_to(real)
    with open_index(Archive.open(inbox), real):
        result = run("index", str(inbox), "--db", str(link))
    assert result.exit_code == 1
    assert result.stderr == (f"listdigest: error: index {real} is in use by another "
                             f"listdigest run (pid {os.getpid()})\n")
    assert not (tmp_path / "link.sqlite.lock").exists()


def test_the_lock_ends_with_its_run_not_with_a_forked_process(inbox: Path,
                                                              tmp_path: Path) -> None:
    # A process forked while the index is open (a worker, say) holds a copy of the lock's
    # descriptor; when the run is done, the next run must get the index all the same.
    db = tmp_path / "forked.sqlite"
    read, write = os.pipe()
    with open_index(Archive.open(inbox), db):
        child = os.fork()
        if child == 0:  # holds every descriptor until the test has opened the index again
            os.close(write)
            os.read(read, 1)
            os._exit(0)
    try:
        with open_index(Archive.open(inbox), db) as idx:
            assert idx.path == db.resolve()
    finally:
        os.close(write)
        os.close(read)
        os.waitpid(child, 0)


def test_a_read_only_index_folder_is_one_line(inbox: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    # Root writes anywhere: run it without the capability that lets it (as a user runs).
    drop = (["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
            if os.geteuid() == 0 else [])
    try:
        proc = subprocess.run([*drop, str(Path(sys.executable).parent / "listdigest"), "index",
                               str(inbox), "--db", str(folder / "i.sqlite")],
                              capture_output=True, text=True, check=False)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 1
    assert proc.stderr == (f"listdigest: error: cannot lock index {folder}/i.sqlite: "
                           "Permission denied (the index and its folder must be writable)\n")


_READ = index_update._read


def dies_on_the_third_batch(batch: index_update._Batch) -> index_update._Rows:
    """What a worker killed (by the OOM killer, say) amid the batch at position 4 does."""
    if batch[2] == 4:
        os.kill(os.getpid(), signal.SIGKILL)
    return _READ(batch)


def test_a_dying_worker_is_reported_not_waited_for(inbox: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_update, "_read", dies_on_the_third_batch)
    with open_index(Archive.open(inbox), tmp_path / "i.sqlite") as idx:
        with pytest.raises(WorkerError, match="a worker process died"):
            update_index(idx, batch_size=2)
        stored = idx.db.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert stored in (0, 2, 4)  # whole batches before the death (as far as they got)
    monkeypatch.setattr(index_update, "_read", _READ)
    with open_index(Archive.open(inbox), tmp_path / "i.sqlite") as idx:  # it resumes
        result = update_index(idx, batch_size=2)
    assert (result.added, result.total) == (12 - stored, 12)


def test_a_failing_main_process_ends_the_pool_without_a_worker_traceback(
        inbox: Path, tmp_path: Path) -> None:
    # The main process fails after the first stored batch while workers still hold
    # queued batches: the run ends (no hang), with the main's error alone on stderr.
    code = ("import sys; from listdigest.index import open_index, update_index;"
            "from listdigest.sources.archive import Archive\n"
            "def fail(done, total): raise RuntimeError(f'main failed at {done} of {total}')\n"
            "with open_index(Archive.open(sys.argv[1]), sys.argv[2]) as idx:\n"
            "    update_index(idx, batch_size=2, progress=fail)")
    proc = subprocess.run([sys.executable, "-c", code, str(inbox), str(tmp_path / "i.sqlite")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("Traceback") == 1
    assert proc.stderr.splitlines()[-1] == "RuntimeError: main failed at 2 of 12"
    with open_index(Archive.open(inbox), tmp_path / "i.sqlite") as idx:  # resumes
        assert (update_index(idx).added, idx.db.execute(
            "SELECT count(*) FROM messages").fetchone()[0]) == (10, 12)
