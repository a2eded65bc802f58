"""Search the patch emails of an index: words over subjects, authors, trailers and the
files a patch touches (the FTS5 table ``search``, kept by triggers on ``messages``).

A query is words and filters, all of which must match::

    vgic its                  words anywhere (subject, author, trailers, paths)
    "dirty ring"              a phrase
    author:maz                a word of the author's or sender's name or address
    path:arch/arm64/kvm/mmu   files whose path holds this (its last part may be a start)
    trailer:zyngier           a word of the trailers (Reviewed-by: …, Signed-off-by: …)
    since:2021-01-01 until:2021-06-30   by the messages' Date (UTC)

Words are matched as tokens of FTS5's ``unicode61`` tokenizer (letters and digits;
``/``, ``.``, ``-`` and ``@`` separate them), case and accents ignored. Every word
the user gives is quoted, so FTS5's own operators never reach the engine.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from listdigest.errors import ListdigestError

_TERM_RE = re.compile(r'(?:(\w+):)?(?:"([^"]*)"?|(\S+))')
#: Filter name → FTS5 column (None: every column); date filters are handled apart.
_COLUMNS = {"author": "author", "path": "paths", "trailer": "trailers", "subject": "subject"}
_DATES = ("since", "until")


class QueryError(ListdigestError):
    """A search the user must rephrase (an unknown filter, a bad date)."""


@dataclass(slots=True)
class Query:
    """A parsed search: the FTS5 expression, the date bounds and other filters."""

    match: str = ""
    """FTS5 expression ('' when the query has no words, only filters)."""
    since: str | None = None
    until: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    """Filters another stage answers (``state``), by name."""


def _phrase(text: str, prefix: bool) -> str:
    """``text`` as one quoted FTS5 phrase (its quotes doubled), a prefix when asked."""
    return '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")


def parse_query(q: str, extra: tuple[str, ...] = ()) -> Query:
    """Read a query string; ``extra`` names the filters the caller answers itself
    (kept in ``Query.filters``). An unknown ``name:`` is an error, not a silent word."""
    query = Query()
    parts: list[str] = []
    for m in _TERM_RE.finditer(q):
        name, quoted, bare = m.group(1), m.group(2), m.group(3)
        text = quoted if quoted is not None else bare or ""
        if name is not None:
            name = name.lower()
            if name in _DATES:
                setattr(query, name, text)
                continue
            if name in extra:
                query.filters.setdefault(name, []).append(text)
                continue
            if name not in _COLUMNS:
                known = ", ".join(f"{n}:" for n in (*_COLUMNS, *_DATES, *extra))
                raise QueryError(f"unknown filter {name}: (known: {known})")
            if text:
                parts.append(f"{_COLUMNS[name]} : {_phrase(text, name in ('author', 'path'))}")
        elif text:
            parts.append(_phrase(text, False))
    query.match = " AND ".join(parts)
    return query


def search_series(db: sqlite3.Connection, query: Query, lo: float = float("-inf"),
                  hi: float = float("inf")) -> list[tuple[str, int]]:
    """(series key, messages matched) of the series whose patch emails match ``query``
    and are dated within [lo, hi], the series with the newest match first."""
    dates = "m.date >= ? AND m.date <= ?"
    try:
        if query.match:
            rows = db.execute(
                "SELECT m.series_key, count(*), max(m.date) AS d FROM search"
                " JOIN messages m ON m.rowid = search.rowid"
                f" WHERE search MATCH ? AND {dates} GROUP BY m.series_key ORDER BY d DESC",
                (query.match, lo, hi))
        else:
            rows = db.execute(
                "SELECT m.series_key, count(*), max(m.date) AS d FROM messages m"
                f" WHERE m.kind IN ('patch', 'cover') AND {dates} GROUP BY m.series_key"
                " ORDER BY d DESC", (lo, hi))
        return [(key, n) for key, n, _ in rows]
    except sqlite3.OperationalError as exc:  # e.g. a phrase of nothing but punctuation
        raise QueryError(f"cannot search for that: {exc}") from None
