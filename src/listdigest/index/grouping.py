"""A series per row, kept at index time: which series each patch email belongs to.

Each cover and patch row keeps ``series``, the place (``epoch << 32 | pos``) of its
series' first message, as :func:`~listdigest.model.series.group_series` over the
whole archive in order gives it; a patch email whose Message-ID an earlier row has
(a duplicate, which ``collect`` drops) keeps NULL. ``stats`` then counts series with
one GROUP BY.

Rows come in batches, in archive order (a build's batches, an update's new rows, or
the rows after a rewrite, grouped again). ``group_series`` is online: a message's
series depends only on earlier messages, and only on those it reaches through the
keys its rules look up. So a batch is grouped together with the earlier patch emails
that can reach it (``_Restart``), a set closed under these rules:

- the rows that register a key the batch looks up: its thread roots, In-Reply-To
  and References, matched against rows' thread roots and Message-IDs (``by_key``,
  ``by_thread``, covers above, replacements);
- every member of those rows' series (what ``has`` and a cover letter's total read);
- for an unthreaded numbered patch (no References, no In-Reply-To) of a sender,
  version and total: the unthreaded rows of that key from the first one dated less
  than a day before it; every row before that one is dated more than a day before
  it, so ``group_series`` would stop there too;
- and the same for every row so added, until nothing is new.

No state lives in memory between batches (a 2,000,000-message build holds one batch
and its restart set), and an update reads only the earlier rows of the threads it
continues (kvmarm's last 1,000 messages: 25).

Each row also keeps ``reach``: the earliest place its series can depend on, the least
of its own place and the ``reach`` of the earlier rows found by the keys it looks up,
of every series those belong to, and of the unthreaded rows it may join. A range
whose patch emails all reach no earlier than its first one (and that no other row
interleaves) is grouped by ``group_series`` exactly as the whole archive groups it
(see ``listdigest.indexed_stats``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from listdigest.index.rows import COLUMNS, UNTHREADED, rows_in, subject_of
from listdigest.mail.message import Message
from listdigest.model.series import group_series

_UNTHREADED_WINDOW = 24 * 3600
#: The columns a patch email's grouping reads, in _Row's order.
GROUPED = ("epoch", "pos", "message_id", "subject", "date", "from_addr", "in_reply_to",
           "refs", "kind", "has_diff", "version", "counter", "total", "subject_parse",
           "thread", "series", "reach")
_SELECT = f"SELECT {', '.join(GROUPED)} FROM messages"
_PATCH = "kind IN ('patch', 'cover')"
_AT = {name: COLUMNS.index(name) for name in GROUPED if name in COLUMNS}


def place(epoch: int, pos: int) -> int:
    """A row's place in archive order as one integer."""
    return epoch << 32 | pos


@dataclass(slots=True)
class _Row:
    """A patch email as grouping reads it."""

    at: int
    msg: Message
    thread: str
    series: int | None
    reach: int | None

    @property
    def looks_up(self) -> set[str]:
        """The keys its rules look up: thread root, In-Reply-To, References."""
        m = self.msg
        return {k for k in (self.thread, m.in_reply_to, *m.references) if k}

    @property
    def registers(self) -> tuple[str, str]:
        """The keys it is found by: its thread root and its Message-ID."""
        return self.thread, self.msg.message_id

    @property
    def unthreaded(self) -> tuple[str, int, int | None] | None:
        """(sender, version, total) of an unthreaded numbered patch email, else None."""
        m = self.msg
        if m.references or m.in_reply_to or m.tags.counter is None:
            return None
        return m.from_addr, m.tags.version, m.tags.total


def _row(values: Sequence[Any]) -> _Row:
    (epoch, pos, mid, subject, date, addr, irt, refs, kind, has_diff, version, counter,
     total, parse, thread, series, reach) = values
    msg = Message("", 0, "", 0, mid, subject, date, True, "", addr, "", "", irt,
                  () if refs == "[]" else tuple(json.loads(refs)), "", kind, None, (),
                  bool(has_diff),
                  subject_tags=subject_of(subject, version, counter, total, parse))
    return _Row(place(epoch, pos), msg, thread, series, reach)


def patch_messages(rows: Iterable[Sequence[Any]]) -> list[Message]:
    """Messages with the fields series grouping reads, from rows of GROUPED columns."""
    return [_row(r).msg for r in rows]


def assign(db: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The batch's rows (full ``messages`` rows, in archive order, none of them stored
    before the batch's first) with ``series`` and ``reach`` set for its patch emails."""
    if not rows:
        return []
    start = place(rows[0][0], rows[0][1])
    duplicate = _duplicates(db, rows, start)
    batch: list[_Row] = []
    for i, r in enumerate(rows):
        if r[_AT["kind"]] in ("patch", "cover") and i not in duplicate:
            batch.append(_row([r[_AT[c]] if c in _AT else None for c in GROUPED]))
    _group(db, batch, start)
    found = {b.at: (b.series, b.reach) for b in batch}
    out = []
    for r in rows:
        series, reach = found.get(place(r[0], r[1]), (None, None))
        out.append((*r[:-2], series, reach))
    return out


def regroup(db: sqlite3.Connection, after: int, batch_size: int) -> None:
    """Group again every patch email at or after place ``after`` (rows an update moved
    under them: a rewrite, a re-read blob, rows of an older epoch), in batches, and
    store the ``series`` and ``reach`` that changed."""
    lo = after
    while True:
        rows = db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM messages WHERE (epoch, pos) >= (?, ?) "
            "ORDER BY epoch, pos LIMIT ?", (lo >> 32, lo & 0xFFFFFFFF, batch_size)).fetchall()
        if not rows:
            return
        db.executemany("UPDATE messages SET series = ?, reach = ? WHERE epoch = ? AND pos = ?",
                       [(new[-2], new[-1], new[0], new[1])
                        for old, new in zip(rows, assign(db, rows), strict=True)
                        if tuple(old[-2:]) != tuple(new[-2:])])
        lo = place(rows[-1][0], rows[-1][1]) + 1


def _duplicates(db: sqlite3.Connection, rows: Sequence[Sequence[Any]],
                start: int) -> set[int]:
    """Indexes in ``rows`` of the messages whose Message-ID an earlier row has."""
    mid_at, reason_at = _AT["message_id"], COLUMNS.index("reason")
    ids = sorted({str(r[mid_at]) for r in rows if r[reason_at] == "" and r[mid_at]})
    earlier = {r[0] for r in rows_in(db, "SELECT message_id FROM messages WHERE message_id "
                                     "IN ({}) AND reason = '' AND (epoch << 32 | pos) < ?",
                                     ids, (start,))}
    out: set[int] = set()
    for i, r in enumerate(rows):
        mid = r[mid_at]
        if r[reason_at] != "" or not mid:
            continue
        if mid in earlier:
            out.add(i)
        earlier.add(str(mid))
    return out


class _Restart:
    """The earlier patch emails a batch can reach (see the module's rules)."""

    def __init__(self, db: sqlite3.Connection, start: int) -> None:
        self.db, self.start = db, start
        self.rows: dict[int, _Row] = {}
        self._keys: set[str] = set()
        self._series: set[int] = set()
        self._since: dict[tuple[str, int, int | None], int] = {}

    def load(self, batch: list[_Row]) -> list[_Row]:
        """The restart set of ``batch``, in archive order."""
        todo = list(batch)
        while todo:
            keys = set().union(*(r.looks_up for r in todo)) - self._keys
            self._keys |= keys
            new = self._fetch("thread IN ({})", sorted(keys))
            new += self._fetch("message_id IN ({})", sorted(keys))
            series = {r.series for r in [*todo, *new] if r.series is not None} - self._series
            self._series |= series
            new += self._fetch("series IN ({})", sorted(series))
            new += self._unthreaded([*todo, *new])
            todo = [r for r in new if r.at not in self.rows]
            for r in todo:
                self.rows[r.at] = r
        return sorted(self.rows.values(), key=lambda r: r.at)

    def _fetch(self, where: str, keys: Sequence[object]) -> list[_Row]:
        """The grouped rows before the batch that ``where`` (its list filled with
        ``keys``) names; ``+series`` keeps SQLite on the index ``where`` names."""
        out: dict[int, _Row] = {}
        for r in rows_in(self.db, f"{_SELECT} WHERE {where} AND {_PATCH} AND +series IS NOT "
                         "NULL AND (epoch << 32 | pos) < ?", keys, (self.start,)):
            row = _row(r)
            if row.at not in self.rows:
                out[row.at] = row
        return list(out.values())

    def _unthreaded(self, rows: list[_Row]) -> list[_Row]:
        """For each unthreaded key: its rows from the first dated within a day of the
        earliest dated one among ``rows``."""
        out = []
        low: dict[tuple[str, int, int | None], int] = {}
        for r in rows:
            if (key := r.unthreaded) is not None:
                low[key] = min(low.get(key, r.msg.date), r.msg.date)
        for key, date in low.items():
            since = date - _UNTHREADED_WINDOW
            if since >= self._since.get(key, since + 1):
                continue
            self._since[key] = since
            first = self.db.execute(
                f"SELECT min(epoch << 32 | pos) FROM messages WHERE {UNTHREADED} AND "
                "from_addr = ? AND version = ? AND total IS ? AND date >= ? AND "
                "(epoch << 32 | pos) < ?", (*key, since, self.start)).fetchone()[0]
            if first is None:
                continue
            out += [_row(r) for r in self.db.execute(
                f"{_SELECT} WHERE {UNTHREADED} AND from_addr = ? AND version = ? AND "
                "total IS ? AND (epoch, pos) >= (?, ?) AND (epoch << 32 | pos) < ?",
                (*key, first >> 32, first & 0xFFFFFFFF, self.start))]
        return [r for r in out if r.at not in self.rows]


def _group(db: sqlite3.Connection, batch: list[_Row], start: int) -> None:
    """Set ``series`` and ``reach`` of the batch's rows."""
    if not batch:
        return
    earlier = _Restart(db, start).load(batch)
    rows = [*earlier, *batch]
    where: dict[int, int] = {}
    for s in group_series(r.msg for r in rows):
        first = rows[s.first].at
        for m in s.messages:
            where[id(m)] = first
    for b in batch:
        b.series = where[id(b.msg)]
    _reach(rows, len(earlier))


def _reach(rows: list[_Row], stored: int) -> None:
    """``reach`` of the rows after the first ``stored`` (whose reach is kept)."""
    key_reach: dict[str, int] = {}
    key_series: dict[str, set[int]] = {}
    series_reach: dict[int, int] = {}
    unthreaded: dict[tuple[str, int, int | None], list[_Row]] = {}
    for i, r in enumerate(rows):
        if i >= stored:
            reach = r.at
            for k in r.looks_up:
                reach = min(reach, key_reach.get(k, reach),
                            *(series_reach[s] for s in key_series.get(k, ())))
            if (key := r.unthreaded) is not None:
                since = r.msg.date - _UNTHREADED_WINDOW
                same = unthreaded.get(key, [])
                cut = next((j for j, u in enumerate(same) if u.msg.date >= since), len(same))
                for u in same[cut:]:
                    assert u.reach is not None and u.series is not None
                    reach = min(reach, u.reach, series_reach[u.series])
            r.reach = reach
        assert r.series is not None and r.reach is not None
        series_reach[r.series] = min(series_reach.get(r.series, r.reach), r.reach)
        for k in r.registers:
            if k:
                key_reach[k] = min(key_reach.get(k, r.reach), r.reach)
                key_series.setdefault(k, set()).add(r.series)
        if (key := r.unthreaded) is not None:
            unthreaded.setdefault(key, []).append(r)
