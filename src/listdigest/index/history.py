"""Earlier postings of a series, found in the years of history the index keeps.

A reader's first question about a series is whether it is new or the next version
of one seen before. Like b4, a posting is taken as an earlier version when the same
sender posted a cover letter or first patch with the same subject text (tags
removed, case and white space ignored) before this series began.
"""

from __future__ import annotations

from listdigest.index.db import Index
from listdigest.index.rows import SELECT, scanned_of
from listdigest.mail.message import Message
from listdigest.mail.subject import parse_subject
from listdigest.model.series import Posting, Series, thread_root

_CHUNK = 500  # SQLite host parameters per query, well under its limit


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def add_earlier_postings(idx: Index, series: list[Series]) -> None:
    """Set each series' earlier postings, oldest first: one query over the senders'
    cover letters and first patches."""
    senders = sorted({s.sender for s in series})
    if not senders:
        return
    marks = ",".join("?" * len(senders))
    rows = idx.db.execute(
        "SELECT from_addr, subject, version, date, message_id FROM messages"
        f" WHERE from_addr IN ({marks}) AND kind IN ('cover', 'patch')"
        " AND (counter IS NULL OR counter <= 1) ORDER BY date", senders)
    posted: dict[tuple[str, str], list[Posting]] = {}
    for sender, subject, version, date, message_id in rows:
        key = (sender, _key(parse_subject(subject).text))
        posted.setdefault(key, []).append(Posting(version, date, message_id))
    for s in series:
        own = {m.message_id for m in s.messages}
        began = min(m.date for m in s.messages)
        earlier = [p for p in posted.get((s.sender, _key(s.title)), [])
                   if p.date < began and p.message_id not in own]
        unique = list({(p.version, p.message_id): p for p in earlier}.values())
        s.earlier = _one_per_posting(unique)


def _one_per_posting(postings: list[Posting]) -> list[Posting]:
    """A cover letter and its first patch are one posting: keep the first of each
    version and day."""
    out: list[Posting] = []
    for p in postings:
        if not out or (p.version, p.date // 86400) != (out[-1].version, out[-1].date // 86400):
            out.append(p)
    return out


def followups(idx: Index, series: list[Series]) -> list[Message]:
    """Every indexed reply in the threads of the series, in archive order: reviews and
    "applied" notes that came after the range count too."""
    roots = sorted({thread_root(m) for s in series for m in s.messages})
    found: list[tuple[int, int, Message]] = []
    for i in range(0, len(roots), _CHUNK):
        chunk = roots[i:i + _CHUNK]
        rows = idx.db.execute(f"{SELECT} WHERE kind = 'reply' AND thread IN "
                              f"({','.join('?' * len(chunk))})", chunk)
        for row in rows:
            if (msg := scanned_of(row).message) is not None:
                found.append((row[0], row[1], msg))
    return [msg for _, _, msg in sorted(found, key=lambda t: (t[0], t[1]))]


def newest_date(idx: Index) -> int:
    """The Date of the newest indexed message, ignoring dates more than a day after the
    newest commit (a wrong clock in one mail must not make every series look old)."""
    row = idx.db.execute(
        "SELECT max(date) FROM messages WHERE reason = '' AND date <= "
        "(SELECT max(commit_time) FROM messages) + 86400").fetchone()
    return int(row[0] or 0)
