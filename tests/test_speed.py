"""The fast paths give what the plain ones give: parallel scans, streamed JSON, the
header split and the diff search."""

from __future__ import annotations

import json
from pathlib import Path

from listdigest.cli.digest_cmd import make_digest
from listdigest.demo import demo_messages
from listdigest.demo.build import build_archive
from listdigest.mail.body import scan_lines
from listdigest.mail.headers import split_message
from listdigest.mail.scan import Window, batched, scan, scan_parallel
from listdigest.render.json import iter_json, to_json
from listdigest.sources.archive import Archive


def test_parallel_scan_is_the_serial_scan(leds: Path) -> None:
    """Four batches read by worker processes come back whole and in archive order."""
    archive = Archive.open(leds)
    entries = [e for _, e in zip(range(4000), archive.commits(), strict=False)]
    serial = list(scan(archive, entries))
    parallel = list(scan_parallel(archive, entries, batch_size=1000))
    assert len(parallel) == 4000
    assert [s.entry.commit for s in parallel] == [e.commit for e in entries]
    assert parallel == serial
    # linux-leds' commit 5de54c0b6c28 adds no message: it stays in its place, unparsed.
    assert [s.entry.commit[:12] for s in parallel if s.message is None] == ["5de54c0b6c28"]


def test_parallel_scan_keeps_each_subjects_parse(leds: Path) -> None:
    """Workers send a record's fields as tuples and the parent rebuilds it: the parsed
    subject (left out of a record's equality) comes back too."""
    archive = Archive.open(leds)
    entries = [e for _, e in zip(range(2500), archive.commits(), strict=False)]
    parallel = {s.entry.commit: s for s in scan_parallel(archive, entries, batch_size=1000)}
    serial = [s for s in scan(archive, entries) if s.message]
    assert [parallel[s.entry.commit].message for s in serial] == [s.message for s in serial]
    assert [parallel[s.entry.commit].message.subject_tags for s in serial] == [
        s.message.subject_tags for s in serial]
    msg = next(s.message for c, s in parallel.items() if c.startswith("e5222e14f8fb"))
    assert msg is not None and msg.subject == (
        "Re: [PATCH v3 2/5] leds: lm3532: Change the define for the fs current register")
    assert (msg.kind, msg.tags.version, msg.tags.counter, msg.tags.total) == ("reply", 3, 2, 5)
    assert msg.commit.startswith("e5222e14f8fb") and msg.epoch == 0


def test_parallel_scan_filters_dates_in_the_workers(leds: Path) -> None:
    """A date window travels to the workers and leaves out what ``scan`` leaves out."""
    archive = Archive.open(leds)
    entries = [e for _, e in zip(range(3000), archive.commits(), strict=False)]
    keep = Window(1_567_296_000, 1_569_888_000)  # September 2019 (UTC)
    serial = list(scan(archive, entries, keep))
    parallel = list(scan_parallel(archive, entries, keep, batch_size=1000))
    assert parallel == serial
    # 455 of these commits were made in September 2019; one more message is dated in it.
    assert len(parallel) == 456
    assert all(keep(s.message.date) for s in parallel if s.message)


def test_batches_never_span_two_epochs(tmp_path: Path) -> None:
    """Ten demo emails in epochs of four: batches of three split at each epoch."""
    inbox = build_archive(tmp_path / "inbox", demo_messages(), epoch_size=4)
    entries = list(Archive.open(inbox).commits())
    sizes = [(len(b), b[0].epoch) for b in batched(entries, 3)]
    assert sizes == [(3, 0), (1, 0), (3, 1), (1, 1), (2, 2)]
    assert [e for b in batched(entries, 3) for e in b] == entries


def test_streamed_json_is_the_encoders_text(kvmarm: Path, kvmarm_db: Path) -> None:
    """The JSON written piece by piece is the text ``json.dumps`` gives for the whole."""
    d = make_digest(Archive.open(kvmarm), rev_from=None, rev_to=None, since="2021-03-01",
                    until="2021-03-07", name=None, top=15, show_all=False, db=str(kvmarm_db))
    whole = json.dumps(to_json(d), indent=2, ensure_ascii=False) + "\n"
    assert "".join(iter_json(d)) == whole
    assert d.series and d.entries


def test_streamed_json_of_a_digest_without_series(tmp_path: Path) -> None:
    """Empty lists are written as ``[]``, as the encoder writes them."""
    reply = next(m for m in demo_messages() if b"\nSubject: Re:" in m)
    inbox = build_archive(tmp_path / "inbox", [reply])
    d = make_digest(Archive.open(inbox), rev_from=None, rev_to=None, since=None, until=None,
                    name=None, top=15, show_all=False, history=False)
    text = "".join(iter_json(d))
    assert text == json.dumps(to_json(d), indent=2, ensure_ascii=False) + "\n"
    assert '"series": [],\n  "entries": []\n}\n' in text


def test_header_split_prefers_the_first_blank_line() -> None:
    """CRLF mail ends its header at the first CRLF blank line; LF mail at the first LF
    one, whatever CRLF lines its body holds."""
    crlf = b"Subject: a\r\nFrom: b\r\n\r\nbody\n\nmore"
    assert split_message(crlf) == (b"Subject: a\r\nFrom: b", 23)
    lf = b"Subject: a\nFrom: b\n\nbody\r\n\r\nmore"
    assert split_message(lf) == (b"Subject: a\nFrom: b", 20)
    assert split_message(b"Subject: only a header") == (b"Subject: only a header", 22)


def test_diff_start_is_the_first_diff_line() -> None:
    """The first of ``diff --git``, ``Index:``, ``--- a/`` or a ``---``/``+++`` pair, not a
    ``---`` separator or a quoted marker."""
    body = (b"\ntext\n---\n 1 file changed\n> --- a/quoted\n--- old.c\n+++ new.c\n"
            b"diff --git a/x b/x\n")
    assert scan_lines(body, 1)[0] == body.index(b"\n--- old.c")
    assert scan_lines(b"\nno diff here\n--- \nsignature-ish\n", 1)[0] == -1
    assert scan_lines(b"\nIndex: x.c\n===\n", 1)[0] == 0
