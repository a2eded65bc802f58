"""Earlier postings of a series, found in the years of history the index keeps.

A reader's first question about a series is whether it is new or the next version
of one seen before. Like b4, a posting is taken as an earlier version when the same
sender posted a cover letter or first patch with the same subject text (tags
removed, case and white space ignored) before this series began.
"""

from __future__ import annotations

from listdigest.index.db import Index
from listdigest.mail.subject import parse_subject
from listdigest.model.series import Posting, Series


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
