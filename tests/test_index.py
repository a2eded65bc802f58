"""The SQLite index: equal to the git path, incremental, rewrite-proof, kill-proof, locked.

Small archives are built by the project's builder from real kvmarm mail (plus one
with a broken Date); the whole shared kvmarm archive checks counts and equality.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo.build import append_messages, build_archive, rewrite_epoch
from listdigest.digest import collect
from listdigest.errors import IndexError_
from listdigest.index import default_path, open_index, update_index
from listdigest.index.rows import subject_of
from listdigest.mail.scan import scan
from listdigest.mail.subject import parse_subject
from listdigest.sources.archive import Archive
from listdigest.sources.blobs import read_blobs
from listdigest.sources.dates import parse_when

BAD_DATE = (b"From: Odd Sender <odd@example.org>\nSubject: [PATCH] odd: no usable date\n"
            b"Date: sometime next week\nMessage-ID: <odd-date@example.org>\n\nBody.\n")


def rows(db: Path) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    """Every row of the index, and the epoch states, in order."""
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT * FROM messages ORDER BY epoch, pos").fetchall(),
                conn.execute("SELECT * FROM epochs ORDER BY epoch").fetchall())
    finally:
        conn.close()


def derived(db: Path) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    """The indexes and triggers of ``messages``, and the rows of ``search``."""
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = "
                             "'messages' AND type != 'table' AND sql IS NOT NULL "
                             "ORDER BY name").fetchall(),
                conn.execute("SELECT rowid, * FROM search ORDER BY rowid").fetchall())
    finally:
        conn.close()


def build_index(inbox: Path, db: Path, **kw: int) -> None:
    with open_index(Archive.open(inbox), db) as idx:
        update_index(idx, **kw)


def git_scan(archive: Archive, start: str | None = None, end: str | None = None) -> list:  # type: ignore[type-arg]
    return list(scan(archive, archive.commits(start, end)))


@pytest.fixture(scope="module")
def mails(kvmarm: Path) -> list[bytes]:
    """120 real messages from the start of kvmarm, with a broken Date at 50."""
    archive = Archive.open(kvmarm)
    blobs = [e.blob for _, e in zip(range(120), archive.commits(), strict=False) if e.blob]
    out = [raw for _, raw in read_blobs(archive.epochs[0].path, blobs) if raw]
    out.insert(50, BAD_DATE)
    return out


@pytest.fixture(scope="module")
def kv_db(kvmarm_db: Path) -> Path:
    """The session's index of the whole kvmarm archive (see conftest)."""
    return kvmarm_db


# --- the real archive -------------------------------------------------------------------

def test_full_build_indexes_every_commit_with_its_kind(kv_db: Path, kvmarm: Path) -> None:
    messages, epochs = rows(kv_db)
    assert len(messages) == 21367
    head = Archive.open(kvmarm).head(Archive.open(kvmarm).epochs[0])
    assert epochs == [(0, head, 21367)]
    conn = sqlite3.connect(kv_db)
    assert conn.execute("SELECT count(*) FROM messages WHERE reason != ''").fetchone() == (0,)
    # parsed tags, thread and series key of a cover letter and its first patch
    cover, first = conn.execute(
        "SELECT subject, author_addr, version, counter, total, series_key, files_changed,"
        " thread FROM messages WHERE commit_id LIKE 'dc625312%' OR commit_id LIKE '1dedeb39%'"
        " ORDER BY pos").fetchall()
    key = "20210302150002.3685113-1-qperret@google.com|v3|32|qperret@google.com"
    assert cover == ("[PATCH v3 00/32] KVM: arm64: A stage 2 for the host", "qperret@google.com",
                     3, 0, 32, key, 47, "20210302150002.3685113-1-qperret@google.com")
    assert first[1:6] == ("will@kernel.org", 3, 1, 32, key)  # in-body From: Will Deacon
    # the whole parse of the subject is kept (stats group series without parsing again)
    (parse,) = conn.execute("SELECT subject_parse FROM messages WHERE commit_id LIKE "
                            "'dc625312%'").fetchone()
    assert subject_of(cover[0], 3, 0, 32, parse) == parse_subject(cover[0])
    assert json.loads(parse) == ["KVM: arm64: A stage 2 for the host", ["PATCH", "v3", "00/32"],
                                 False, True, False]


def test_reply_verdicts_are_stored_in_the_rows(kv_db: Path) -> None:
    # Judged once at parse time and kept: the digest reads no reply body from git.
    conn = sqlite3.connect(kv_db)
    applied, respin = conn.execute(
        "SELECT count(applied), sum(asks_respin) FROM messages WHERE kind = 'reply'").fetchone()
    assert (applied, respin) == (469, 16)  # as the check of every reply at digest time found
    assert conn.execute("SELECT count(*) FROM messages WHERE kind != 'reply' AND "
                        "(applied IS NOT NULL OR asks_respin)").fetchone() == (0,)
    # Marc Zyngier's b4 thank-you mail: "Applied to kvmarm-master/next, thanks!"
    ty = conn.execute("SELECT applied, asks_respin FROM messages WHERE message_id = "
                      "'159042163820.423883.9671590581057422816.b4-ty@kernel.org'").fetchone()
    assert ty == ('["kvmarm-master/next",null,null,'
                  '["71b3ec5f221b8b3ff545639be83ddfcd5d7c9800"],false]', 0)
    # Will Deacon: "Please can you resend based on for-next/cpufeature?"
    ask = conn.execute("SELECT applied, asks_respin FROM messages WHERE message_id = "
                       "'20200429212614.GD8604@willie-the-truck'").fetchone()
    assert ask == (None, 1)


def test_a_week_from_the_index_reads_from_git_only_the_bodies_it_shows(
        kv_db: Path, kvmarm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import listdigest.digest
    from listdigest.cli.digest_cmd import digest_range

    read: list[str] = []

    def counting(repo: Path, blobs: list[str]):  # type: ignore[no-untyped-def]
        read.extend(blobs)
        return read_blobs(repo, blobs)

    monkeypatch.setattr(listdigest.digest, "read_blobs", counting)
    archive = Archive.open(kvmarm)
    with open_index(archive, kv_db) as idx:
        d = digest_range(archive, idx, rev_from=None, rev_to=None, since="2021-03-02",
                         until="2021-03-08", name=None, top=15, show_all=False)
    shown = {m.blob for _, m in d.entries}
    replies = sum(len(s.replies) for s in d.series)
    assert (len(d.series), len(shown), replies) == (12, 16, 91)
    assert sorted(read) == sorted(shown)  # each shown body once, none of the replies
    # the replies' verdicts come from their rows: 4 series applied, as the digest says
    assert Counter(s.state for s in d.series)["applied"] == 4


def test_index_gives_the_items_git_gives(kv_db: Path, kvmarm: Path) -> None:
    archive = Archive.open(kvmarm)
    with open_index(archive, kv_db) as idx:
        from_index = idx.scanned()
    from_git = git_scan(archive)
    assert len(from_index) == 21367
    assert from_index == from_git  # every Message equal, field by field
    kinds = Counter(s.message.kind for s in from_git if s.message)
    conn = sqlite3.connect(kv_db)
    assert dict(conn.execute("SELECT kind, count(*) FROM messages GROUP BY kind")) == kinds
    # counted by the git path; 96 numbered subjects without PATCH ("[kvmtool v2 3/5]",
    # "[RFC 0/3]") with a diff, or as 0/N, are patch emails (b4's rule), not other
    assert kinds == {"reply": 11212, "patch": 9025, "cover": 920, "other": 96, "pull": 114}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("span", [["--from", "1902d676530e", "--to", "1dd65dd559f7"],
                                  ["--since", "2021-03-02", "--until", "2021-03-08"]])
def test_digest_is_the_same_with_and_without_the_index(
        kv_db: Path, kvmarm: Path, span: list[str], fmt: str) -> None:
    # --no-history: the index's years beyond the range (later replies, other versions)
    # are left out, so the digest is the range's alone, as git gives it.
    runner = CliRunner()
    args = ["digest", str(kvmarm), *span, "--format", fmt]
    plain = runner.invoke(cli, args)
    indexed = runner.invoke(cli, [*args, "--db", str(kv_db), "--no-history"])
    assert plain.exit_code == indexed.exit_code == 0
    assert indexed.stdout == plain.stdout
    assert indexed.stderr == plain.stderr
    if span[0] == "--from":
        assert "166 commits: 166 messages (63 patch emails, 102 replies, 1 other" in plain.stderr
        if fmt == "text":
            assert ("[PATCH v3 00/32] KVM: arm64: A stage 2 for the host - Quentin Perret "
                    "<qperret@google.com>") in plain.stdout


def test_a_range_from_the_index_has_its_rows(kv_db: Path, kvmarm: Path) -> None:
    with open_index(Archive.open(kvmarm), kv_db) as idx:
        items = idx.scanned("1902d676530e", "1dd65dd559f7")
    assert len(items) == 166
    assert items[0].entry.commit.startswith("3e806767e189")  # --from is exclusive
    assert items[-1].entry.commit.startswith("1dd65dd559f7")
    cover = next(s.message for s in items if s.entry.commit.startswith("dc625312"))
    assert cover.subject == "[PATCH v3 00/32] KVM: arm64: A stage 2 for the host"
    assert (cover.author_name, cover.kind) == ("Quentin Perret", "cover")


@pytest.mark.parametrize("group", [True, False], ids=["with-workers", "main-only"])
def test_a_killed_build_resumes_to_the_same_index(kv_db: Path, kvmarm: Path,
                                                   tmp_path: Path, group: bool) -> None:
    db = tmp_path / "killed.sqlite"
    code = ("import sys; from listdigest.index import open_index, update_index;"
            "from listdigest.sources.archive import Archive\n"
            "with open_index(Archive.open(sys.argv[1]), sys.argv[2]) as idx:\n"
            "    update_index(idx, batch_size=500)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(kvmarm), str(db)],
                            start_new_session=True)
    stored = 0
    while proc.poll() is None and not stored:
        time.sleep(0.01)
        try:
            conn = sqlite3.connect(db)
            stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
            conn.close()
        except sqlite3.Error:
            pass  # not created yet
    # Mid-way, kill the build and its workers, or the build alone: orphaned workers
    # must not keep the index locked.
    (os.killpg if group else os.kill)(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(rows(db)[0])
    assert 0 < partial < 21367 and partial % 500 == 0
    build_index(kvmarm, db)
    assert rows(db) == rows(kv_db)
    # A fresh build makes its indexes and search rows at the end: the resumed one too.
    indexes, search = derived(db)
    assert (indexes, search) == derived(kv_db)
    assert len(indexes) == 18 and len(search) == 9945  # 16 indexes, 2 triggers; patch emails


# --- archives built by the test ---------------------------------------------------------

def test_index_in_two_steps_equals_index_in_one(mails: list[bytes], tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "steps", mails[:70])
    build_index(inbox, tmp_path / "steps.sqlite")
    append_messages(inbox, mails[70:])
    with open_index(Archive.open(inbox), tmp_path / "steps.sqlite") as idx:
        result = update_index(idx, batch_size=16)  # several batches, read by workers
    assert (result.added, result.total, result.rewritten) == (len(mails) - 70, len(mails), [])
    whole = build_archive(tmp_path / "whole", mails)
    build_index(whole, tmp_path / "whole.sqlite")
    assert rows(tmp_path / "steps.sqlite") == rows(tmp_path / "whole.sqlite")


def test_a_build_stopped_after_its_last_rows_is_finished_by_the_next_run(
        mails: list[bytes], tmp_path: Path) -> None:
    inbox, db = build_archive(tmp_path / "inbox", mails), tmp_path / "stopped.sqlite"

    def stop(done: int, total: int) -> None:
        if done == total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), open_index(Archive.open(inbox), db) as idx:
        update_index(idx, batch_size=50, progress=stop)
    assert len(rows(db)[0]) == len(mails)
    # Every row stored; of the indexes only those grouping into series reads while rows
    # load, no search row yet.
    indexes, search = derived(db)
    assert ([name for _, name, _ in indexes], search) == ([
        "messages_grouped", "messages_message_id", "messages_patch_thread",
        "messages_unthreaded", "messages_unthreaded_at"], [])
    with open_index(Archive.open(inbox), db) as idx:
        assert update_index(idx).added == 0
    fresh = tmp_path / "fresh.sqlite"
    build_index(inbox, fresh)
    indexes, search = derived(db)
    assert (rows(db), indexes, search) == (rows(fresh), *derived(fresh))
    assert len(indexes) == 18
    assert any("[PATCH" in row[1] for row in search)


def test_a_rewritten_epoch_is_noticed_and_reread(mails: list[bytes], tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", mails)
    db = tmp_path / "index.sqlite"
    build_index(inbox, db)
    dropped_line = rows(db)[0][40][2]  # a commit the rewrite replaces
    spam = mails[30]
    message_id = spam.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
    rewrite_epoch(inbox, 0, lambda raw: raw != spam)
    append_messages(inbox, [BAD_DATE.replace(b"odd-date", b"after-rewrite")])
    with open_index(Archive.open(inbox), db) as idx:
        result = update_index(idx)
        assert idx.db.execute("SELECT count(*) FROM messages WHERE message_id = ?",
                              (message_id,)).fetchone() == (0,)
    assert result.rewritten == [(0, 30)]
    assert (result.added, result.total) == (len(mails) - 30, len(mails))
    fresh = tmp_path / "fresh.sqlite"
    build_index(inbox, fresh)
    assert rows(db) == rows(fresh)
    archive = Archive.open(inbox)
    with open_index(archive, db) as idx:  # off the indexed line: git's rules, via git
        assert idx.scanned(dropped_line) == git_scan(archive, dropped_line) != []


def test_a_message_git_could_not_give_is_read_again(mails: list[bytes],
                                                    tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", mails[:20])
    db = tmp_path / "index.sqlite"
    build_index(inbox, db)
    before = rows(db)
    conn = sqlite3.connect(db)  # as a partial clone without the blob left it
    conn.execute("UPDATE messages SET reason = 'message blob missing', message_id = NULL,"
                 " subject = NULL, kind = NULL WHERE pos = 7")
    conn.commit()
    conn.close()
    with open_index(Archive.open(inbox), db) as idx:
        assert update_index(idx).recovered == 1
    assert rows(db) == before


def test_epochs_make_one_timeline(mails: list[bytes], tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "multi", mails[:100], epoch_size=40)  # epochs 0, 1, 2
    db = tmp_path / "multi.sqlite"
    build_index(inbox, db)
    new = append_messages(inbox, mails[100:], new_epoch=True)  # epoch 3, picked up
    archive = Archive.open(inbox)
    ids = [e.commit for e in archive.commits()]
    with open_index(archive, db) as idx:
        assert update_index(idx).added == len(new)
        assert [e for e, _, _ in rows(db)[1]] == [0, 1, 2, 3]
        span = idx.scanned(ids[25], ids[55])  # --from in epoch 0, --to in epoch 1
        assert span == git_scan(archive, ids[25], ids[55])
        assert [s.entry.epoch for s in span] == [0] * 14 + [1] * 16
        lo = parse_when("2019-05-03").timestamp()
        hi = parse_when("2019-05-05", end=True).timestamp()
        by_date = idx.scanned_between(lo, hi)
    keep = lambda ts: lo <= ts <= hi  # noqa: E731
    assert collect(by_date, keep) == collect(git_scan(archive), keep)
    assert {s.entry.epoch for s in by_date} == {0, 1, 2}
    odd = [s.message for s in by_date if s.message and s.message.subject.endswith("no usable date")]
    assert odd and not odd[0].date_ok  # dated by its commit time, as on the git path


def test_digest_uses_and_updates_the_default_index(mails: list[bytes], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    inbox = build_archive(tmp_path / "list", mails[:40], epoch_size=25)
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(inbox)]).exit_code == 0
    path = default_path(Archive.open(inbox))
    assert path.parent == tmp_path / "data" / "listdigest" / "index"
    assert path.name.startswith("list-") and len(rows(path)[0]) == 40
    append_messages(inbox, mails[40:])
    args = ["digest", str(inbox), "--since", "2019-05-01", "--until", "2019-05-04"]
    indexed = runner.invoke(cli, [*args, "--no-history"])
    assert len(rows(path)[0]) == len(mails)  # brought up to date first
    path.unlink()
    plain = runner.invoke(cli, args)
    assert (indexed.stdout, indexed.stderr) == (plain.stdout, plain.stderr)


def test_a_second_run_is_refused_while_the_index_is_in_use(mails: list[bytes],
                                                           tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", mails[:20])
    db = tmp_path / "index.sqlite"
    with open_index(Archive.open(inbox), db) as idx:
        update_index(idx)
        command = Path(sys.executable).with_name("listdigest")
        proc = subprocess.run([command, "index", str(inbox), "--db", str(db)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 1
        assert proc.stderr == (f"listdigest: error: index {db} is in use by another listdigest"
                               f" run (pid {os.getpid()})\n")
        with pytest.raises(IndexError_, match="in use"), open_index(Archive.open(inbox), db):
            pass
    assert len(rows(db)[0]) == 20
    with open_index(Archive.open(inbox), db) as idx:  # free again
        assert update_index(idx).added == 0


def test_other_parsing_code_or_another_archive_is_not_trusted(mails: list[bytes],
                                                              tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", mails[:20])
    db = tmp_path / "index.sqlite"
    build_index(inbox, db)
    before = rows(db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = 'older code' WHERE key = 'fingerprint'")
    conn.commit()
    conn.close()
    with open_index(Archive.open(inbox), db) as idx:
        idx.set_state("digest:list", "abc")
        assert update_index(idx).added == 20  # rebuilt
        assert idx.get_state("digest:list") == "abc"
        assert idx.get_state("unknown") is None
    assert rows(db) == before
    other = build_archive(tmp_path / "other", mails[:5])
    with pytest.raises(IndexError_, match="belongs to another archive"), \
            open_index(Archive.open(other), db):
        pass


def test_history_counts_replies_after_the_range(kv_db: Path, kvmarm: Path) -> None:
    # Daniel Kiss's "[PATCH v3 0/1] kvm: arm64: Add SVE support for nVHE." came on
    # 2021-03-02; its one reply (to 1/1) on 2021-03-09 10:16, after the range's last
    # message (08:34 that day). v2 was posted on 2021-02-02.
    args = ["digest", str(kvmarm), "--from", "1902d676530e", "--to", "1dd65dd559f7",
            "--db", str(kv_db)]
    title = "kvm: arm64: Add SVE support for nVHE."
    lines = CliRunner().invoke(cli, args).stdout.splitlines()
    assert (f"{title} (v3, 1 patch + cover letter, 1 reply; discussed; "
            "earlier: v2 2021-02-02)") in lines
    plain = CliRunner().invoke(cli, [*args, "--no-history"]).stdout.splitlines()
    assert f"{title} (v3, 1 patch + cover letter; waiting)" in plain
