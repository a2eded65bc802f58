"""build_archive, append_messages and rewrite_epoch make archives that the archive reader
recognises, with exactly the given messages in order and reproducible commit ids."""

from __future__ import annotations

import calendar
import hashlib
import re
from pathlib import Path

import pytest

from listdigest.demo import build_archive, demo_messages
from listdigest.demo.build import FALLBACK_TIME, append_messages, rewrite_epoch
from listdigest.errors import ArchiveError
from listdigest.sources.archive import Archive, git
from listdigest.sources.blobs import read_blobs

DEMO = demo_messages()


def contents(archive: Archive) -> list[bytes | None]:
    """The message of every commit, oldest first, read back from git."""
    out: list[bytes | None] = []
    for epoch in archive.epochs:
        blobs = [c.blob for c in archive.commits() if c.epoch == epoch.number]
        assert all(blobs)
        out += [data for _, data in read_blobs(epoch.path, [b for b in blobs if b])]
    return out


def commit_ids(path: Path) -> list[str]:
    return [c.commit for c in Archive.open(path).commits()]


def log(repo: Path, fmt: str) -> list[str]:
    return git(repo, "log", "--reverse", "--date=raw", f"--format={fmt}").decode().splitlines()


def test_demo_emails_are_ten_numbered_files() -> None:
    assert len(DEMO) == 10
    assert all(m.startswith(b"From: ") for m in DEMO)
    assert b"\xf6" in DEMO[5]  # the Latin-1 patch holds raw 8-bit bytes
    with pytest.raises(UnicodeDecodeError):
        DEMO[5].decode()
    assert b"\nSubject: [PATCH v2 3/3] ringbuf: document the wraparound rules and the new\n" \
        b" size limit in the header comment\n" in DEMO[3]


def test_demo_builds_a_v2_inbox_with_every_message_in_order(tmp_path: Path) -> None:
    archive = Archive.open(build_archive(tmp_path / "demo", DEMO))
    assert archive.kind == "v2"
    assert [e.number for e in archive.epochs] == [0]
    assert len(list(archive.commits())) == 10
    assert contents(archive) == DEMO
    repo = archive.epochs[0].path
    assert git(repo, "symbolic-ref", "HEAD").decode().strip() == "refs/heads/master"
    assert git(repo, "ls-tree", "--name-only", "HEAD").decode().split() == ["m"]


def test_commit_metadata_comes_from_the_headers(tmp_path: Path) -> None:
    repo = Archive.open(build_archive(tmp_path / "demo", DEMO)).epochs[0].path
    subjects = log(repo, "%s")
    assert subjects[0] == "[PATCH v2 0/3] ringbuf: fix wraparound and limit the buffer size"
    assert subjects[3] == ("[PATCH v2 3/3] ringbuf: document the wraparound rules and the new "
                           "size limit in the header comment")
    authors = log(repo, "%an <%ae> %ad")
    assert authors[0] == "Maria Ortega <maria.ortega@example.com> 1740993301 +0100"
    assert authors[5] == "Jörg Müller <joerg.mueller@example.com> 1741071731 +0100"
    assert authors[6] == "Sam Okafor <sam.okafor@example.org> 1741210245 -0500"
    assert authors[8].startswith("Łukasz Zieliński <lukasz.zielinski@example.org>")
    committers = log(repo, "%cn <%ce> %ct")
    assert committers[0] == "demo <demo@lists.example.org> 1740993301"
    assert [int(c.split()[-1]) for c in committers] == [int(a.split()[-2]) for a in authors]


def test_epoch_size_splits_the_timeline(tmp_path: Path) -> None:
    archive = Archive.open(build_archive(tmp_path / "inbox", DEMO, epoch_size=4))
    assert [e.number for e in archive.epochs] == [0, 1, 2]
    per_epoch = [sum(1 for c in archive.commits() if c.epoch == e.number) for e in archive.epochs]
    assert per_epoch == [4, 4, 2]
    assert contents(archive) == DEMO
    # each epoch is its own history: its first commit has no parent
    for epoch in archive.epochs:
        assert len(git(epoch.path, "rev-list", "--max-parents=0", "HEAD").split()) == 1


def test_v1_repository(tmp_path: Path) -> None:
    archive = Archive.open(build_archive(tmp_path / "v1.git", DEMO, version=1))
    assert archive.kind == "v1"
    assert len(list(archive.commits())) == 10
    assert contents(archive) == DEMO
    paths = git(archive.epochs[0].path, "ls-tree", "-r", "--name-only", "HEAD").decode().split()
    mid = b"20250303091501.41235-1-maria.ortega@example.com"
    digest = hashlib.sha1(mid).hexdigest()
    assert f"{digest[:2]}/{digest[2:]}" in paths
    assert len(paths) == 10


def test_same_input_gives_the_same_commit_ids(tmp_path: Path) -> None:
    first = commit_ids(build_archive(tmp_path / "a", DEMO, epoch_size=3))
    second = commit_ids(build_archive(tmp_path / "b", DEMO, epoch_size=3))
    assert first == second
    other = commit_ids(build_archive(tmp_path / "c", DEMO, epoch_size=3,
                                     list_address="other@lists.example.org"))
    assert other != first
    v1 = build_archive(tmp_path / "v1a", DEMO, version=1)
    assert commit_ids(v1) == commit_ids(build_archive(tmp_path / "v1b", DEMO, version=1))


def test_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    dest = build_archive(tmp_path / "inbox", DEMO[:1])
    with pytest.raises(ArchiveError):
        build_archive(dest, DEMO)
    with pytest.raises(ValueError):
        build_archive(tmp_path / "bad", DEMO, version=3)


def test_append_adds_exactly_the_new_commits(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", DEMO[:6])
    new = append_messages(inbox, DEMO[6:])
    archive = Archive.open(inbox)
    assert len(new) == 4
    assert [c.commit for c in archive.commits()][6:] == new
    assert contents(archive) == DEMO
    # appending gives the ids a build of all the messages at once gives
    assert commit_ids(inbox) == commit_ids(build_archive(tmp_path / "all", DEMO))
    assert append_messages(inbox, []) == []


def test_append_to_a_new_epoch(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", DEMO[:5])
    new = append_messages(inbox, DEMO[5:], new_epoch=True)
    archive = Archive.open(inbox)
    assert [e.number for e in archive.epochs] == [0, 1]
    assert [c.commit for c in archive.commits() if c.epoch == 1] == new
    assert contents(archive) == DEMO
    with pytest.raises(ArchiveError):
        append_messages(build_archive(tmp_path / "v1", DEMO[:1], version=1), DEMO[1:2])


def test_rewrite_epoch_drops_exactly_the_dropped_messages(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", DEMO, epoch_size=5)
    before = list(Archive.open(inbox).commits())
    old_tip = before[4].commit
    spam = {DEMO[2], DEMO[4]}
    new_tip = rewrite_epoch(inbox, 0, lambda raw: raw not in spam)
    after = list(Archive.open(inbox).commits())
    assert new_tip is not None and new_tip != old_tip
    assert contents(Archive.open(inbox)) == [m for m in DEMO if m not in spam]
    assert [c.commit for c in after[:2]] == [c.commit for c in before[:2]]  # before the drop
    assert after[2].commit != before[3].commit  # re-parented
    assert after[2].time == before[3].time  # but keeps its metadata
    assert [c.commit for c in after[3:]] == [c.commit for c in before[5:]]  # epoch 1 untouched
    assert Archive.open(inbox).head(Archive.open(inbox).epochs[0]) == new_tip
    assert not git(Archive.open(inbox).epochs[0].path, "for-each-ref", "refs/listdigest/")


def test_rewrite_is_deterministic_and_keeping_all_changes_nothing(tmp_path: Path) -> None:
    a = build_archive(tmp_path / "a", DEMO)
    b = build_archive(tmp_path / "b", DEMO)
    tip = Archive.open(a).head(Archive.open(a).epochs[0])
    assert rewrite_epoch(a, 0, lambda raw: True) == tip
    drop_rfc = b"[RFC PATCH"
    assert rewrite_epoch(a, 0, lambda raw: drop_rfc not in raw) == \
        rewrite_epoch(b, 0, lambda raw: drop_rfc not in raw)
    assert len(commit_ids(a)) == 9


def test_rewrite_dropping_everything_empties_the_epoch(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", DEMO[:3])
    assert rewrite_epoch(inbox, 0, lambda raw: False) is None
    assert list(Archive.open(inbox).commits()) == []
    with pytest.raises(ArchiveError):
        rewrite_epoch(inbox, 7, lambda raw: True)


ODD = [
    b"\xff\xfe not an email at all, and not UTF-8 \x80\x81\n",
    b"",
    b"just a body line\nand another\n",
    b"From: \xc4\xe4 Broken <<odd>@@example.com\nSubject: =?x-unknown?q?abc?= \xe9t\xe9\n\nbody",
    b"Subject: no date\r\n folded with CRLF\r\nMessage-ID: <nodate@example.com>\r\n\r\nbody\r\n",
    b"Date: the day after tomorrow\nFrom: =?utf-8?b?!!!notbase64?= <x@example.com>\n\nbody\n",
    b"Date: Mon, 3 Mar 2025 10:15:01\nFrom: No Zone <z@example.com>\n\nbody\n",
    b"Date: Mon, 3 Mar 99999 10:15:01 +9999\nFrom: Far <f@example.com>\n\nbody\n",
    b"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Mbox <m@example.com>\nSubject: mbox\n\nb\n",
]


@pytest.mark.parametrize("version", [1, 2])
def test_odd_input_still_builds(tmp_path: Path, version: int) -> None:
    archive = Archive.open(build_archive(tmp_path / "odd", ODD, version=version))
    assert archive.kind == ("v1" if version == 1 else "v2")
    assert contents(archive) == ODD


def test_odd_headers_give_safe_commit_metadata(tmp_path: Path) -> None:
    repo = Archive.open(build_archive(tmp_path / "odd", ODD)).epochs[0].path
    authors = log(repo, "%an <%ae> %at %ad")
    subjects = log(repo, "%s")
    assert authors[0] == f"unknown <> {FALLBACK_TIME} {FALLBACK_TIME} +0000"
    assert all(not re.search(r"[<>]", a.split(" <")[0]) for a in authors)
    assert subjects[4] == "no date folded with CRLF"
    assert authors[5].endswith(f"{FALLBACK_TIME} +0000")
    # a date without a zone is UTC, whatever the machine's zone
    assert authors[6].split()[-2] == str(calendar.timegm((2025, 3, 3, 10, 15, 1)))
    assert authors[7].endswith(f"{FALLBACK_TIME} +0000")  # year 99999: out of range
    assert authors[8].startswith("Mbox <m@example.com>")
    assert subjects[8] == "mbox"
