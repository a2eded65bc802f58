"""The JSON digest: all the text shows, plus ids, commits and dates (schema in README)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from listdigest.digest import Digest, message_link
from listdigest.mail.message import Message
from listdigest.model.series import Posting, Series, review_counts, reviewers
from listdigest.stats.history import Period, Statistics

SCHEMA_VERSION = 2


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _patch(link_base: str | None, s: Series, m: Message) -> dict[str, Any]:
    subject = m.tags
    return {
        "subject": m.subject,
        "title": subject.text,
        "kind": s.role(m),
        "counter": subject.counter,
        "total": subject.total,
        "version": subject.version,
        "tags": list(subject.tags),
        "message_id": m.message_id,
        "commit": m.commit,
        "epoch": m.epoch,
        "date": _iso(m.date),
        "date_from_header": m.date_ok,
        "author": {"name": m.author_name, "address": m.author_addr},
        "sender": {"name": m.from_name, "address": m.from_addr},
        "diffstat": dict(zip(("files", "insertions", "deletions"), m.diffstat, strict=True))
        if m.diffstat else None,
        "trailers": [[k, v] for k, v in m.trailers],
        "link": message_link(link_base, m.message_id),
        "reviewers": reviewers(s, m),
    }


def _range(d: Digest) -> dict[str, Any]:
    """What the range is (titles' labels) and what it covers: its first and last date
    and, for a date range, the commits of its first and last message."""
    first, last = d.dates
    commits = d.commits or (None, None)
    return {"by": "date" if d.by_date else "commit", "from": d.start, "to": d.end,
            "since": _iso(int(first)) if first is not None else None,
            "until": _iso(int(last)) if last is not None else None,
            "first_commit": commits[0], "last_commit": commits[1]}


def _applied(s: Series) -> dict[str, Any] | None:
    """The series' applied notes as one: the first's who, when and where; the patches
    and commits of all."""
    if not s.applied:
        return None
    first = s.applied[0]
    done = s.applied_patches
    return {"by": first.by, "date": _iso(first.date) if first.date is not None else None,
            "message_id": first.message_id or None,
            "tree": first.tree, "branch": first.branch,
            "patches": "all" if done is None else sorted(done),
            "commits": list(dict.fromkeys(c for a in s.applied for c in a.commits)),
            "queued": all(a.queued for a in s.applied)}


def _posting(link_base: str | None, p: Posting) -> dict[str, Any]:
    return {"version": p.version, "date": _iso(p.date), "message_id": p.message_id,
            "link": message_link(link_base, p.message_id)}


def _head(d: Digest) -> dict[str, Any]:
    """Everything before the series: small whatever the range."""
    acc = d.accounting
    return {
        "schema": SCHEMA_VERSION,
        "list": d.list_name,
        "range": _range(d),
        "summary": {
            "commits": acc.commits, "messages": acc.messages,
            "patch_emails": acc.patch_emails, "replies": acc.replies, "other": acc.other,
            "duplicates": len(acc.duplicates), "skipped": len(acc.skipped),
            "date_fallbacks": acc.date_fallbacks, "already_published": acc.already_published,
        },
        "skipped": [{"commit": s.commit, "reason": s.reason} for s in acc.skipped],
        "duplicates": [{"message_id": m.message_id, "commit": m.commit} for m in acc.duplicates],
        "top": d.top,
        "domains": [{"count": r.count, "domain": r.key} for r in d.all_domains],
        "contributors": [{"count": r.count, "address": r.key, "label": r.label}
                         for r in d.all_contributors],
    }


def series_data(s: Series, link_base: str | None) -> dict[str, Any]:
    """One series as plain data (the digest's ``series`` items, ``series --format json``)."""
    lead = s.cover or s.first_patch
    return {
        "title": s.title, "version": s.version, "total": s.total,
        "sender": s.sender, "missing": s.missing,
        "replies": len(s.replies), "reviews": review_counts(s),
        "state": s.state,
        "earlier": [_posting(link_base, p) for p in s.earlier],
        "later": [_posting(link_base, p) for p in s.later],
        "reviewers": reviewers(s),
        "applied": _applied(s),
        "base_commit": (lead and lead.base_commit) or None,
        "change_id": (lead and lead.change_id) or None,
        "patches": [_patch(link_base, s, m) for m in s.messages],
    }


def _series(d: Digest) -> Iterator[dict[str, Any]]:
    for s in d.series:
        yield series_data(s, d.link_base)


def _entries(d: Digest) -> Iterator[dict[str, Any]]:
    for s, m in d.entries:
        yield {**_patch(d.link_base, s, m), "body": d.body_text(s, m)}


def to_json(d: Digest) -> dict[str, Any]:
    """The digest as plain data."""
    return {**_head(d), "series": list(_series(d)), "entries": list(_entries(d))}


def render_json(d: Digest) -> str:
    """Render a digest as indented JSON text."""
    return "".join(iter_json(d))


def iter_json(d: Digest) -> Iterator[str]:
    """The text of ``render_json`` piece by piece: one series or entry at a time is
    turned into data and text, so a whole archive's digest is written without holding
    its JSON in memory. Each element is encoded by ``json`` and indented one level
    further (JSON text holds no raw newline, so indenting is a replace)."""
    head = json.dumps(_head(d), indent=2, ensure_ascii=False)
    yield head[:-2] + ","  # "…\n}": the two lists follow
    for key, items in (("series", _series(d)), ("entries", _entries(d))):
        yield f'\n  "{key}": ['
        sep = "\n    "
        empty = True
        for item in items:
            yield sep + json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            sep, empty = ",\n    ", False
        yield "]" if empty else "\n  ]"
        if key == "series":
            yield ","
    yield "\n}\n"


def _period(p: Period) -> dict[str, Any]:
    return {"period": p.label, "messages": p.messages, "patch_emails": p.patch_emails,
            "series": p.series, "replies": p.replies, "reviews": p.reviews,
            "contributors": len(p.contributors), "newcomers": p.newcomers}


def render_life_json(versions: list[Series], link_base: str | None) -> str:
    """Every version of a series, oldest first, as the digest's series items."""
    data = {"schema": SCHEMA_VERSION, "versions": [series_data(s, link_base) for s in versions]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_stats_json(s: Statistics) -> str:
    """Render statistics as indented JSON text."""
    data = {
        "schema": SCHEMA_VERSION, "list": s.list_name, "from": s.start, "to": s.end,
        "by": s.by, "top": s.top,
        "periods": [_period(p) for p in s.periods], "total": _period(s.total),
        "domains": [{"count": r.count, "domain": r.key} for r in s.all_domains],
        "contributors": [{"count": r.count, "address": r.key, "label": r.label}
                         for r in s.all_contributors],
        "reviewers": [{"count": r.count, "address": r.key, "label": r.label}
                      for r in s.all_reviewers],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
