"""What an up-to-date index reads for a week's digest: rows of the week, never every
row (at 2,000,000 messages a statement that walks the table costs more than the week)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from listdigest.index import open_index, update_index
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
        assert any("lead_key = v.column2" in s for s in statements)  # the history was asked
        assert _full_scans(idx.db, statements) == []


def test_leads_keep_the_subject_key_their_earlier_postings_are_found_by(
        kvmarm_db: Path) -> None:
    conn = sqlite3.connect(kvmarm_db)
    cover = conn.execute("SELECT subject, lead_key FROM messages WHERE message_id = "
                         "'20210302150002.3685113-1-qperret@google.com'").fetchone()
    assert cover == ("[PATCH v3 00/32] KVM: arm64: A stage 2 for the host",
                     "kvm: arm64: a stage 2 for the host")
    # the key and the sender pick its three postings of 2021-03 out of his 58 leads
    postings = conn.execute(
        "SELECT version, counter, total FROM messages WHERE from_addr = 'qperret@google.com'"
        " AND lead_key = 'kvm: arm64: a stage 2 for the host' AND kind IN ('cover', 'patch')"
        " ORDER BY date").fetchall()
    assert postings == [(3, 0, 32), (4, 0, 34), (5, 0, 36)]
    assert conn.execute("SELECT count(*) FROM messages WHERE from_addr = 'qperret@google.com'"
                        " AND kind IN ('cover', 'patch') AND (counter IS NULL OR counter <= 1)"
                        ).fetchone() == (58,)
    assert conn.execute("SELECT count(*) FROM messages WHERE kind NOT IN ('cover', 'patch')"
                        " AND lead_key IS NOT NULL").fetchone() == (0,)
