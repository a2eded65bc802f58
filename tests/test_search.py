"""Search of the index (FTS5): the files a patch touches, the query language, and a
search table that follows every insert and delete of an update (a rewrite too)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from listdigest.demo.build import append_messages, build_archive, rewrite_epoch
from listdigest.index import open_index, update_index
from listdigest.index.search import QueryError, parse_query, search_series
from listdigest.mail.message import parse_message
from listdigest.sources.archive import Archive


def patch(n: int, subject: str, path: str, author: str = "Ann Author <ann@example.org>") -> bytes:
    return (f"From: {author}\nSubject: {subject}\nDate: Mon, 3 Mar 2025 09:{n:02d}:00 +0000\n"
            f"Message-ID: <p{n}@example.org>\n\nFix it.\n\nSigned-off-by: {author}\n---\n"
            f" {path} | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
            f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n"
            ).encode()


REPLY = (b"From: Rev Iewer <rev@example.org>\nSubject: Re: [PATCH] net: frob the widget\n"
         b"Date: Mon, 3 Mar 2025 10:00:00 +0000\nMessage-ID: <r1@example.org>\n"
         b"In-Reply-To: <p1@example.org>\n\nReviewed-by: Rev Iewer <rev@example.org>\n")


def test_a_patch_names_the_files_its_diff_touches() -> None:
    two = patch(1, "[PATCH] x", "arch/arm64/kvm/mmu.c").replace(
        b"@@ -1 +1 @@\n-a\n+b\n",
        b"@@ -1 +1 @@\n-a\n+b\ndiff --git a/virt/kvm/kvm_main.c b/virt/kvm/kvm_main.c\n")
    assert parse_message(two)[1].paths == ("arch/arm64/kvm/mmu.c", "virt/kvm/kvm_main.c")
    plain = b"Subject: [PATCH] y\n\ntext\n--- old/README\n+++ new/README\n@@ -1 +1 @@\n"
    assert parse_message(plain)[1].paths == ("new/README",)
    assert parse_message(REPLY)[1].paths == ()


def test_queries_are_quoted_into_fts5_expressions() -> None:
    q = parse_query('author:maz path:arch/arm64/kvm vgic "dirty ring" since:2021-01-01')
    assert q.match == ('author : "maz"* AND paths : "arch/arm64/kvm"* AND "vgic" AND '
                       '"dirty ring"')
    assert (q.since, q.until) == ("2021-01-01", None)
    assert parse_query('say "hi"" OR x').match == '"say" AND "hi" AND " OR x"'
    assert parse_query('path:a"b OR').match == 'paths : "a""b"* AND "OR"'
    assert parse_query("state:applied kvm", extra=("state",)).filters == {"state": ["applied"]}
    with pytest.raises(QueryError, match="unknown filter colour:"):
        parse_query("colour:red")


def search(db: Path, q: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        keys = [key for key, _ in search_series(conn, parse_query(q))]
        return [conn.execute("SELECT subject FROM messages WHERE series_key = ?",
                             (k,)).fetchone()[0] for k in keys]
    finally:
        conn.close()


def counts(db: Path) -> tuple[int, int]:
    """(rows in the search table, patch emails in the index): equal when kept right."""
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT count(*) FROM search").fetchone()[0],
                conn.execute("SELECT count(*) FROM messages WHERE kind IN ('patch', 'cover')"
                             ).fetchone()[0])
    finally:
        conn.close()


def test_search_follows_updates_and_rewrites(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", [patch(1, "[PATCH] net: frob the widget",
                                                     "drivers/net/widget.c"), REPLY])
    db = tmp_path / "index.sqlite"
    with open_index(Archive.open(inbox), db) as idx:
        update_index(idx)
    assert search(db, "path:drivers/net") == ["[PATCH] net: frob the widget"]
    assert search(db, "author:ann frob") == ["[PATCH] net: frob the widget"]
    assert search(db, "rev") == []  # replies are not searched; their series is
    assert counts(db) == (1, 1)
    spam = patch(2, "[PATCH] mm: spam the pages", "mm/spam.c", "Spam Mer <spam@example.org>")
    append_messages(inbox, [spam, patch(3, "[PATCH 1/2] kvm: mmu fix", "arch/arm64/kvm/mmu.c")])
    with open_index(Archive.open(inbox), db) as idx:
        update_index(idx)
    assert search(db, "path:arch/arm64/kvm/mm") == ["[PATCH 1/2] kvm: mmu fix"]
    assert search(db, "trailer:spam") == ["[PATCH] mm: spam the pages"]
    assert counts(db) == (3, 3)
    rewrite_epoch(inbox, 0, lambda raw: raw != spam)
    with open_index(Archive.open(inbox), db) as idx:
        assert update_index(idx).rewritten == [(0, 2)]
    assert search(db, "spam") == []
    assert search(db, "author:ann") == ["[PATCH 1/2] kvm: mmu fix", "[PATCH] net: frob the widget"]
    assert counts(db) == (2, 2)
