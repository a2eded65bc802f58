"""Other postings of a series (earlier versions, re-rolls), found in the years of
history the index keeps.

A reader's first question about a series is whether it is new or the next version
of one seen before, and whether a newer one replaced it. Like b4, postings are the
same series when, in this order of trust:

- their cover letters (or single patches) carry the same ``change-id:``;
- else the same author (in-body author or sender) posted a cover letter or first
  patch with the same subject text (tags removed, case and white space ignored),
  with the same tree and stable tags (a ``5.15`` backport is not a v2 of the ``6.1``
  one), no other ``change-id:``, and, for a single patch with a generic subject
  (``fix typo``), a file in common;
- or a cover letter's changelog links one of them on lore
  (``v2: https://lore.kernel.org/all/<msgid>/``).

A posting is one thread and version: its cover letter and first patch count once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from listdigest.index.db import Index
from listdigest.index.rows import SELECT, lead_key, message_of, rows_in
from listdigest.mail.message import Message
from listdigest.mail.subject import Subject, parse_subject
from listdigest.model.series import Posting, Series, thread_root

_CHUNK = 500  # SQLite host parameters per query, well under its limit
_LORE_RE = re.compile(
    r"https?://lore\.kernel\.org/(?:[\w.+-]+/)?([^/\s<>\"]+(?:@|%40)[^/\s<>\"]+?)/?"
    r"(?=[\s>)\]\"]|$|/[tT#])")
#: Tags that do not make another series: RFC and RESEND.
_NEUTRAL_RE = re.compile(r"(?i)^(?:rfc|resend)$")
_GENERIC_WORDS = 4
_LEAD_COLUMNS = ("message_id", "date", "subject", "version", "from_addr", "author_addr",
                 "thread", "change_id", "paths", "epoch", "pos")
_IS_LEAD = "kind IN ('cover', 'patch') AND (counter IS NULL OR counter <= 1)"
_LEADS = f"SELECT {', '.join(_LEAD_COLUMNS)} FROM messages WHERE {_IS_LEAD}"


@dataclass(frozen=True, slots=True)
class _Lead:
    """A cover letter or first patch in the index."""

    message_id: str
    date: int
    subject: Subject
    version: int
    from_addr: str
    author_addr: str
    thread: str
    change_id: str
    paths_json: str

    @property
    def posting(self) -> Posting:
        return Posting(self.version, self.date, self.message_id, _is_rfc(self.subject))

    @property
    def paths(self) -> frozenset[str]:
        """The files its diff touches: decoded only for a generic subject's check."""
        return frozenset(json.loads(self.paths_json or "[]"))


def _lead(row: tuple) -> _Lead:  # type: ignore[type-arg]
    message_id, date, subject, version, from_addr, author_addr, thread, change_id, paths = row[:9]
    return _Lead(message_id, date, parse_subject(subject), version, from_addr, author_addr,
                 thread, change_id or "", paths or "[]")



def _trees(subject: Subject) -> frozenset[str]:
    """Tree and stable tags: ``net-next``, ``5.15`` (RFC and RESEND do not count)."""
    return frozenset(t.lower() for t in subject.prefixes if not _NEUTRAL_RE.match(t))


def _is_rfc(subject: Subject) -> bool:
    return any(t.upper().startswith("RFC") for t in subject.tags)


def _generic(text: str) -> bool:
    """A subject too plain to tell two patches apart: no ``subsystem:`` prefix, or
    only a few words after it."""
    head, colon, rest = text.rpartition(": ")
    return not colon or not head or len(rest.split()) < _GENERIC_WORDS


def _rows(idx: Index, where: str, values: list[str]) -> list[_Lead]:
    found: list[_Lead] = []
    for i in range(0, len(values), _CHUNK):
        chunk = values[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        query = f"{_LEADS} AND {where.format(marks=marks)}"
        found += [_lead(r) for r in idx.db.execute(query, chunk * where.count("{marks}"))]
    return found


def _by_pairs(idx: Index, column: str,
              pairs: list[tuple[str, str]]) -> Iterator[tuple]:  # type: ignore[type-arg]
    """The leads whose ``column`` (an address) and subject key are one of ``pairs``:
    each pair one search of the (address, key) index, the pairs walked first."""
    cols = ", ".join(f"m.{c}" for c in _LEAD_COLUMNS)
    for i in range(0, len(pairs), _CHUNK // 2):
        chunk = pairs[i:i + _CHUNK // 2]
        values = ",".join(["(?, ?)"] * len(chunk))
        yield from idx.db.execute(
            f"SELECT {cols} FROM (VALUES {values}) AS v CROSS JOIN messages AS m"
            f" ON m.{column} = v.column1 AND m.lead_key = v.column2 WHERE {_IS_LEAD}",
            [x for pair in chunk for x in pair])


def lore_links(text: str) -> list[str]:
    """The Message-IDs of the lore.kernel.org links in a text, in order."""
    return list(dict.fromkeys(unquote(m.group(1)) for m in _LORE_RE.finditer(text)))


def link_postings(idx: Index, series: list[Series],
                  bodies: dict[str, str] | None = None) -> None:
    """Set each series' earlier and later postings (oldest first) from the index;
    ``bodies`` (commit message sections by blob) gives the cover letters whose changelog
    links are read."""
    if not series:
        return
    leads = {s_id: s.cover or s.first_patch for s_id, s in enumerate(series)}
    own_ids = [m.message_id for m in leads.values() if m and m.message_id]
    own = {r.message_id: r for r in _rows(idx, "message_id IN ({marks})", own_ids)}
    # The subject keys asked for by each address.
    wanted: dict[str, set[str]] = {}
    for s_id, s in enumerate(series):
        if (m := leads[s_id]) is not None:
            for addr in (m.from_addr, m.author_addr):
                wanted.setdefault(addr, set()).add(lead_key(s.title))
    # Asked by (address, subject key) pairs, by sender and by in-body author apart: each
    # pair is one index search, so the cost follows the week's series, not the years of
    # their authors' postings. Rows in the order of the sender index.
    pairs = sorted({(a, k) for a, keys in wanted.items() for k in keys})
    of_addrs = {(r[9], r[10]): r for column in ("from_addr", "author_addr")
                for r in _by_pairs(idx, column, pairs)}
    by_author: dict[tuple[str, str], list[_Lead]] = {}
    for row in sorted(of_addrs.values(), key=lambda r: (r[4], r[1], r[9], r[10])):
        r = _lead(row)
        key = lead_key(r.subject.text)
        for addr in {r.from_addr, r.author_addr}:
            if key in wanted.get(addr, ()):
                by_author.setdefault((addr, key), []).append(r)
    change_ids = sorted({m.change_id for m in leads.values() if m and m.change_id})
    by_change: dict[str, list[_Lead]] = {}
    for r in _rows(idx, "change_id IN ({marks})", change_ids):
        by_change.setdefault(r.change_id, []).append(r)
    linked: dict[str, list[str]] = {}
    for s_id, s in enumerate(series):
        if s.cover is not None and bodies and (b := bodies.get(s.cover.blob)) is not None:
            linked[str(s_id)] = lore_links(b)
    named = sorted({i for ids in linked.values() for i in ids})
    by_id = {r.message_id: r for r in _rows(idx, "message_id IN ({marks})", named)}
    for s_id, s in enumerate(series):
        lead = leads[s_id]
        if lead is None:
            continue
        mine = own.get(lead.message_id)
        found = list(by_change.get(lead.change_id, [])) if lead.change_id else []
        trees = _trees(lead.tags)
        generic = s.total is None and s.cover is None and _generic(lead.tags.text)
        for addr in {lead.from_addr, lead.author_addr}:
            for r in by_author.get((addr, lead_key(s.title)), []):
                if _trees(r.subject) != trees:
                    continue
                if lead.change_id and r.change_id and r.change_id != lead.change_id:
                    continue
                if generic and not (mine and mine.paths & r.paths):
                    continue
                found.append(r)
        found += [by_id[i] for i in linked.get(str(s_id), []) if i in by_id]
        _place(s, found)


def _place(s: Series, found: list[_Lead]) -> None:
    """Sort the found leads into the series' earlier and later postings: one per thread
    and version, the series' own left out."""
    began = min(m.date for m in s.messages)
    mine = {(thread_root(m), s.version) for m in s.messages}
    own_ids = {m.message_id for m in s.messages}
    postings: dict[tuple[str, int], _Lead] = {}
    for r in sorted(found, key=lambda r: r.date):
        key = (r.thread, r.version)
        if key in mine or r.message_id in own_ids:
            continue
        postings.setdefault(key, r)
    ordered = sorted(postings.values(), key=lambda r: r.date)
    s.earlier = [r.posting for r in ordered if r.date < began]
    s.later = [r.posting for r in ordered if r.date > began]


def followups(idx: Index, series: list[Series],
              known: dict[tuple[str, str], Message] | None = None) -> list[Message]:
    """Every indexed reply in the threads of the series, in archive order: reviews and
    "applied" notes that came after the range count too. ``known``: records already
    made from rows, by commit and blob (the range's own, which are most of these
    replies), taken as they are instead of reading and building them again."""
    known = known or {}
    roots = sorted({thread_root(m) for s in series for m in s.messages})
    found: list[tuple[int, int, Message]] = []
    unread: list[int] = []
    for epoch, pos, commit, blob, rowid in rows_in(
            idx.db, "SELECT epoch, pos, commit_id, blob, rowid FROM messages WHERE kind = "
            "'reply' AND thread IN ({})", roots):
        if (msg := known.get((commit, blob))) is not None:
            found.append((epoch, pos, msg))
        else:
            unread.append(rowid)
    found += [(row[0], row[1], message_of(row))
              for row in rows_in(idx.db, f"{SELECT} WHERE rowid IN ({{}})", unread)]
    return [msg for _, _, msg in sorted(found, key=lambda t: (t[0], t[1]))]


def lead_blobs(idx: Index, lo: float, hi: float) -> list[tuple[int, str]]:
    """The (epoch, blob) of the cover letters and first patches dated within [lo, hi]:
    the bodies a digest of those dates shows, known before its series are."""
    return [(epoch, blob) for epoch, blob in idx.db.execute(
        f"SELECT epoch, blob FROM messages WHERE date >= ? AND date <= ? AND {_IS_LEAD} "
        "AND blob IS NOT NULL", (lo, hi))]


def newest_date(idx: Index) -> int:
    """The Date of the newest indexed message, ignoring dates more than a day after the
    newest commit (a wrong clock in one mail must not make every series look old)."""
    row = idx.db.execute(
        "SELECT max(date) FROM messages WHERE reason = '' AND date <= "
        "(SELECT max(commit_time) FROM messages) + 86400").fetchone()
    return int(row[0] or 0)
