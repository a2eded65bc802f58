"""What the pages ask of a list's index, read through a read-only SQLite connection
opened for each request (so rows an ``update`` or ``index`` added since are seen at once).

Series are regrouped from their rows by the model's rules (``group_series``), so a
series page shows the same series a digest does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from listdigest.digest import fetch_bodies, judge_replies
from listdigest.index import Index
from listdigest.index.db import fingerprint
from listdigest.index.history import link_postings
from listdigest.index.rows import SELECT, rows_in, scanned_of
from listdigest.mail.address import parse_address
from listdigest.mail.message import Message
from listdigest.mail.subject import parse_subject
from listdigest.model.series import (
    Series,
    attach_replies,
    group_series,
    review_trailers,
    reviewers,
)
from listdigest.sources.archive import Archive
from listdigest.stats.history import period_of

WEEK = 7 * 86400
#: 1970-01-05, a Monday: weeks start on Mondays (ISO 8601), in UTC.
_MONDAY = 4 * 86400
#: Written as the index's partial indexes are, so SQLite can use them.
_PATCH_KINDS = "kind IN ('cover', 'patch')"


class Unavailable(Exception):
    """The index cannot be read now (being rebuilt, made by other code, gone)."""


@dataclass(frozen=True, slots=True)
class ServedList:
    """One list the server shows: its key in URLs, title, archive, index and links."""

    key: str
    name: str
    archive: Path
    db: Path
    link_base: str | None = None


@contextmanager
def reading(lst: ServedList) -> Iterator[Index]:
    """The list's archive and index as they are now, read-only. The index must have been
    written by this code (the fingerprint of its parsing code), else its rows may lack
    what the pages read."""
    try:
        conn = sqlite3.connect(f"file:{lst.db}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise Unavailable(f"cannot open the index of {lst.key}: {exc}") from None
    try:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        except sqlite3.Error as exc:
            raise Unavailable(f"cannot read the index of {lst.key}: {exc}") from None
        if row is None or row[0] != _fingerprint():
            raise Unavailable(f"the index of {lst.key} was made by another version of "
                              "listdigest: run `listdigest index` on it")
        yield Index(Archive.open(lst.archive), lst.db, conn)
    finally:
        conn.close()


def index_state(lst: ServedList) -> tuple:  # type: ignore[type-arg]
    """What changes whenever the index does: each epoch's indexed tip and row count (an
    update or a rewrite moves them) and the fingerprint (a rebuild). Pages made from an
    index in the same state are the same."""
    try:
        conn = sqlite3.connect(f"file:{lst.db}?mode=ro", uri=True)
        try:
            return (tuple(conn.execute("SELECT epoch, tip, count FROM epochs ORDER BY epoch")),
                    conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone())
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise Unavailable(f"cannot read the index of {lst.key}: {exc}") from None


_FINGERPRINT: list[str] = []


def _fingerprint() -> str:
    """This code's index fingerprint, computed once (it hashes source files)."""
    if not _FINGERPRINT:
        _FINGERPRINT.append(fingerprint())
    return _FINGERPRINT[0]


def messages(idx: Index, where: str, args: tuple = ()) -> list[Message]:  # type: ignore[type-arg]
    """Messages of the rows matching ``where``, in archive order."""
    rows = idx.db.execute(f"{SELECT} WHERE reason = '' AND {where} ORDER BY epoch, pos", args)
    return [m for r in rows if (m := scanned_of(r).message) is not None]


# --- home -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Week:
    """One week of the list: Monday (UTC) and what arrived."""

    start: int
    messages: int
    patch_emails: int
    replies: int
    contributors: int


def newest_weeks(idx: Index, count: int, now: int) -> list[Week]:
    """The ``count`` newest weeks that hold messages (dated up to a day after ``now``: a
    Date far in the future does not make an empty week the newest)."""
    top = idx.db.execute("SELECT max(date) FROM messages WHERE reason = '' AND date <= ?",
                         (now + 86400,)).fetchone()[0]
    if top is None:
        return []
    lo = top - (top - _MONDAY) % WEEK - (count - 1) * WEEK
    rows = idx.db.execute(
        f"SELECT date - (date - {_MONDAY}) % {WEEK} AS wk, count(*),"
        f" sum({_PATCH_KINDS}), sum(kind = 'reply'),"
        f" count(DISTINCT CASE WHEN {_PATCH_KINDS} THEN author_addr END)"
        " FROM messages WHERE reason = '' AND date >= ? AND date <= ? GROUP BY wk"
        " ORDER BY wk DESC", (lo, top))
    return [Week(*r) for r in rows]


#: Activity per month by index file, kept with the state of the index it was read from.
_ACTIVITY: dict[Path, tuple[tuple, list[tuple[str, int, int]]]] = {}  # type: ignore[type-arg]


def monthly_activity(idx: Index) -> list[tuple[str, int, int]]:
    """(``YYYY-MM``, messages, patch emails) per month of the whole history. A scan of
    every row, so it is kept until the index changes: every update or rewrite moves an
    epoch's indexed tip, and a rebuild changes the fingerprint."""
    state = tuple(idx.db.execute("SELECT epoch, tip, count FROM epochs ORDER BY epoch"))
    cached = _ACTIVITY.get(idx.path)
    if cached and cached[0] == state:
        return cached[1]
    rows = idx.db.execute(
        "SELECT strftime('%Y-%m', date, 'unixepoch') AS month, count(*),"
        f" sum({_PATCH_KINDS}) FROM messages WHERE reason = '' GROUP BY month ORDER BY month")
    activity = [(m, n, p) for m, n, p in rows]
    _ACTIVITY[idx.path] = (state, activity)
    return activity


@dataclass(frozen=True, slots=True)
class SeriesLine:
    """A series in a list of them: its first message and what it holds."""

    message_id: str
    title: str
    subject: str
    version: int
    sender: str
    sender_name: str
    date: int
    patches: int
    matched: int = 0
    """Messages of the series a search matched."""


def series_lines(idx: Index, keys: list[str], matched: dict[str, int] | None = None
                 ) -> list[SeriesLine]:
    """One line per series key (in the given order): its lead message (the cover
    letter, else the lowest-numbered patch) and its number of patches."""
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    rows = idx.db.execute(
        "SELECT series_key, message_id, subject, version, author_addr, author_name, date,"
        f" coalesce(counter, 1) FROM messages WHERE series_key IN ({marks})"
        " ORDER BY epoch, pos", keys)
    lead: dict[str, tuple] = {}  # type: ignore[type-arg]
    patches: dict[str, int] = {}
    for key, mid, subject, version, addr, name, date, counter in rows:
        if counter > 0:
            patches[key] = patches.get(key, 0) + 1
        if key not in lead or counter < lead[key][6]:
            lead[key] = (mid, subject, version, addr, name, date, counter)
    out = []
    for key in keys:
        if key in lead:
            mid, subject, version, addr, name, date, _ = lead[key]
            out.append(SeriesLine(mid, parse_subject(subject).text, subject, version, addr,
                                  name, date, patches.get(key, 0), (matched or {}).get(key, 0)))
    return out


def newest_series(idx: Index, count: int, window: int = 1000) -> list[SeriesLine]:
    """The ``count`` series whose first message came last, among the ``window`` newest
    patch emails (read backwards along the primary key: no scan of the history)."""
    rows = idx.db.execute(
        f"SELECT series_key FROM messages WHERE {_PATCH_KINDS}"
        " ORDER BY epoch DESC, pos DESC LIMIT ?", (window,)).fetchall()
    first: dict[str, int] = {}
    for age, (key,) in enumerate(rows):
        first[key] = age  # the oldest sight in the window wins: its first message
    return series_lines(idx, sorted(first, key=first.__getitem__)[:count])


# --- one series -------------------------------------------------------------------------

@dataclass(slots=True)
class SeriesView:
    """A series with its replies, its reviewers and its other versions."""

    series: Series
    reviewers: dict[str, list[str]]
    """Reviewer labels (``Name <addr>``) by trailer (the model's ``reviewers``)."""
    versions: list[SeriesLine] = field(default_factory=list)
    """Every posting of the series (``link_postings``), oldest first, this one too."""


def find_series(idx: Index, message_id: str) -> SeriesView | None:
    """The series holding the patch email ``message_id``; None when there is none."""
    row = idx.db.execute(
        f"SELECT thread, from_addr, date FROM messages WHERE message_id = ? AND {_PATCH_KINDS}"
        " AND reason = '' LIMIT 1", (message_id,)).fetchone()
    if row is None:
        return None
    thread, sender, date = row
    near = messages(idx, f"{_PATCH_KINDS} AND (thread = ? OR (from_addr = ? AND date"
                    " BETWEEN ? AND ?))", (thread, sender, date - 2 * 86400, date + 2 * 86400))
    found = [s for s in group_series(near)
             if any(m.message_id == message_id for m in s.messages)]
    if not found:
        return None
    threads = sorted({t for s in found for m in s.messages
                      for t in (m.message_id, m.references[0] if m.references else "") if t})
    marks = ",".join("?" * len(threads))
    replies = messages(idx, f"kind = 'reply' AND thread IN ({marks})", tuple(threads))
    attach_replies(found, replies)
    s = found[0]
    judge_replies([s])  # applied, queued, a new version asked for
    # The versions the digest's history and `listdigest series` find (change-id, subject
    # and author, the cover letter's lore links): one rule, in index.history.
    link_postings(idx, [s], fetch_bodies(idx.archive, [s.cover] if s.cover else []))
    versions = versions_of(idx, s)
    return SeriesView(s, reviewers(s), versions)


def versions_of(idx: Index, s: Series) -> list[SeriesLine]:
    """The series' earlier postings, itself and its later ones (set by
    ``link_postings``), oldest first, a line each."""
    lead = s.cover or s.first_patch
    ids = [p.message_id for p in s.earlier] + [lead.message_id if lead else ""] \
        + [p.message_id for p in s.later]
    key_of = dict(idx.db.execute(
        f"SELECT message_id, series_key FROM messages WHERE {_PATCH_KINDS} AND message_id IN"
        f" ({','.join('?' * len(ids))})", ids))
    return series_lines(idx, list(dict.fromkeys(key_of[i] for i in ids if i in key_of)))


# --- a person ---------------------------------------------------------------------------

@dataclass(slots=True)
class PersonPeriod:
    """What one person did in one period."""

    label: str
    series: int = 0
    patch_emails: int = 0
    reviews: int = 0


@dataclass(slots=True)
class Person:
    """A person by address: the series they sent and the reviews they gave."""

    address: str
    name: str
    series: list[Series]
    reviews: list[tuple[str, Message]]
    """(trailer, reply) for each review trailer with this address."""
    periods: list[PersonPeriod]


def find_person(idx: Index, address: str, by: str) -> Person | None:
    """Everything ``address`` sent (as author of patch emails) and reviewed; None when
    the index holds nothing from or by them."""
    address = address.lower()
    sent = messages(idx, f"{_PATCH_KINDS} AND author_addr = ?", (address,))
    candidates = messages(idx, "kind = 'reply' AND instr(lower(trailers), ?) > 0", (address,))
    reviews = [(tag, r) for r in candidates for tag, value in review_trailers(r)
               if parse_address(value)[1] == address]
    if not sent and not reviews:
        return None
    names = [m.author_name for m in sent if m.author_name]
    names += [parse_address(v)[0] for r in candidates for _, v in review_trailers(r)
              if parse_address(v)[1] == address]
    series = group_series(sent)
    periods: dict[str, PersonPeriod] = {}

    def period(ts: int) -> PersonPeriod:
        label = period_of(ts, by)
        return periods.setdefault(label, PersonPeriod(label))

    for s in series:
        period(min(m.date for m in s.messages)).series += 1
    for m in sent:
        period(m.date).patch_emails += 1
    for _, r in reviews:
        period(r.date).reviews += 1
    name = max(set(names), key=names.count) if names else ""
    return Person(address, name, series, reviews, [periods[k] for k in sorted(periods)])


# --- states, for search's state: filter -------------------------------------------------

_CHUNK = 500  # SQLite host parameters per query, well under its limit


def _rows_in(idx: Index, where: str, column: str, values: list[str]) -> list[Message]:
    """Messages matching ``where`` whose ``column`` is one of ``values`` (in chunks)."""
    found: list[Message] = []
    for i in range(0, len(values), _CHUNK):
        chunk = values[i:i + _CHUNK]
        found += messages(idx, f"{where} AND {column} IN ({','.join('?' * len(chunk))})",
                          tuple(chunk))
    return found


def series_states(idx: Index, keys: list[str]) -> dict[str, str]:
    """The model's state of each series key: its patches regrouped, the replies of its
    threads attached, and its later versions looked up (``link_postings``),
    all in a few batched queries."""
    patches = _rows_in(idx, _PATCH_KINDS, "series_key", keys)
    key_of: dict[str, str] = dict(rows_in(
        idx.db, "SELECT message_id, series_key FROM messages WHERE series_key IN ({})", keys))
    found = group_series(patches)
    threads = sorted({t for s in found for m in s.messages
                      for t in (m.message_id, m.references[0] if m.references else "") if t})
    attach_replies(found, _rows_in(idx, "kind = 'reply'", "thread", threads))
    judge_replies(found)
    link_postings(idx, found)  # a later version makes a series superseded
    states: dict[str, str] = {}
    for s in found:
        for m in s.messages:
            if (key := key_of.get(m.message_id)) is not None:
                states.setdefault(key, s.state)
    return states
