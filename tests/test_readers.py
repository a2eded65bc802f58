"""Readers never wait on a writer: while another run holds the index's lock (it is
writing), digest and stats answer from what the index has committed plus git for the
rest, and the answer is git's."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo import build_archive, demo_messages
from listdigest.demo.build import append_messages, rewrite_epoch
from listdigest.index import open_index
from listdigest.sources.archive import Archive


def patch(n: int) -> bytes:
    return (f"From: Dev {n} <dev{n}@example.org>\nSubject: [PATCH] fix {n}\n"
            f"Date: Mon, 7 Apr 2025 10:{n:02d}:00 +0000\nMessage-ID: <fix-{n}@example.org>\n"
            f"\nFix {n}.\n\nSigned-off-by: Dev {n} <dev{n}@example.org>\n").encode()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The demo list indexed, then two patches more that the index has not read."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # git answers: no index
    inbox = build_archive(tmp_path / "demo", demo_messages(), epoch_size=6)
    db = tmp_path / "demo.sqlite"
    assert run("index", str(inbox), "--db", str(db))[0] == 0
    append_messages(inbox, [patch(1), patch(2)])
    return inbox, db


@pytest.mark.parametrize(("args", "commits"), [
    (["digest", "--format", "json"], 12),
    # Dated from 2025-03-05: 16:30 -0500 that day, the 6th, the 7th twice, and the two
    # patches of April the index has not read.
    (["digest", "--since", "2025-03-05", "--format", "json"], 6),
    (["stats", "--by", "month", "--format", "json"], 12),
])
def test_a_reader_answers_while_a_writer_holds_the_index(behind: tuple[Path, Path],
                                                         args: list[str], commits: int) -> None:
    inbox, db = behind
    git_only = run(args[0], str(inbox), *args[1:])
    with open_index(Archive.open(inbox), db):  # another run writing the index
        status, out, err = run(args[0], str(inbox), *args[1:], "--db", str(db), "-v")
    assert status == 0, err
    assert "in use by another listdigest run" in err
    assert "reading what it has committed, and git for the rest" in err
    assert out == git_only[1]
    assert f"demo: {commits} commits: {commits} messages" in err


def test_a_rewritten_epoch_is_read_from_git(behind: tuple[Path, Path]) -> None:
    inbox, db = behind
    rewrite_epoch(inbox, 0, lambda raw: b"Subject: Re:" not in raw)  # drops the 2 replies
    git_only = run("digest", str(inbox), "--format", "json")
    with open_index(Archive.open(inbox), db):
        status, out, err = run("digest", str(inbox), "--db", str(db), "--format", "json")
    assert status == 0, err
    assert out == git_only[1]
    # 12 commits less the review reply "Re: [PATCH v2 2/3]" of epoch 0.
    assert "11 commits: 11 messages (9 patch emails, 1 reply, 1 other" in err
