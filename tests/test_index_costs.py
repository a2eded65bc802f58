"""What an up-to-date index reads for a week's digest: rows of the week, never every
row (at 2,000,000 messages a statement that walks the table costs more than the week)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from listdigest.index import open_index, update_index
from listdigest.index.history import _key, _may_hold
from listdigest.mail.subject import parse_subject
from listdigest.sources.archive import Archive


def _full_scans(conn: sqlite3.Connection, statements: list[str]) -> list[tuple[str, str]]:
    """(statement, plan step) of each read that walks all of ``messages`` or one of its
    whole indexes (a partial index holds only the rows it is for: allowed)."""
    found = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        for *_, step in conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
            if step.startswith("SCAN messages") and "messages_unread" not in step:
                found.append((sql, step))
    return found


def test_an_update_and_a_week_digest_read_no_statement_over_every_row(
        kvmarm_db: Path, kvmarm: Path) -> None:
    from listdigest.cli.digest_cmd import digest_range

    archive = Archive.open(kvmarm)
    statements: list[str] = []
    with open_index(archive, kvmarm_db) as idx:
        idx.db.set_trace_callback(statements.append)
        result = update_index(idx)
        d = digest_range(archive, idx, rev_from=None, rev_to=None, since="2021-03-02",
                         until="2021-03-08", name=None, top=15, show_all=False)
        idx.db.set_trace_callback(None)
        assert (result.added, result.total) == (0, 21367)
        assert len(d.series) == 12
        assert any("author_addr IN" in s for s in statements)  # the history was asked
        assert _full_scans(idx.db, statements) == []


def test_a_subject_line_may_hold_the_key_of_its_text() -> None:
    line = "[PATCH v3 00/32]  KVM: arm64:\tA stage 2 for the host"
    key = _key(parse_subject(line).text)
    assert key == "kvm: arm64: a stage 2 for the host"
    assert _may_hold(line, {key})
    assert _may_hold("[PATCH]KVM: arm64: A stage 2 for the host", {key})  # no space
    assert not _may_hold(line, {"kvm: arm64: a stage 3 for the host"})
    assert not _may_hold(line, set())
    # capital sigma lower-cased after "Re:" is a final sigma, alone a plain one: folded,
    # the line still holds its text's key
    greek = "Re:\u03a3 x"
    assert _key(greek) == "re:\u03c2 x" and _key(parse_subject(greek).text) == "\u03c3 x"
    assert _may_hold(greek, {_key(parse_subject(greek).text)})
