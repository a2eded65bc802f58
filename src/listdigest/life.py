"""The life of one series: every posting of it the index knows, oldest first, each with
its replies, reviewers, state and applied notes. Joins the stages as ``digest`` does,
for ``listdigest series``."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from listdigest.digest import fetch_bodies, judge_replies, judge_tree
from listdigest.errors import ListdigestError
from listdigest.index.db import Index
from listdigest.index.history import link_postings
from listdigest.index.rows import SELECT, scanned_of
from listdigest.mail.message import Message
from listdigest.model.series import Series, attach_replies, group_series

_ID_IN_URL_RE = re.compile(r"/([^/\s]*(?:@|%40)[^/\s]*)")


def message_id_of(value: str) -> str:
    """A Message-ID from what a reader pastes: ``<id>``, ``id``, or a lore URL
    (``https://lore.kernel.org/all/<id>/T/#u``)."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        m = _ID_IN_URL_RE.search(value.split("://", 1)[1])
        if m is None:
            raise ListdigestError(f"no Message-ID in the address {value!r}")
        return unquote(m.group(1))
    return value.removeprefix("<").removesuffix(">")


def _message(idx: Index, message_id: str) -> tuple[str, Message] | None:
    row = idx.db.execute(f"{SELECT} WHERE message_id = ? ORDER BY epoch, pos LIMIT 1",
                         (message_id,)).fetchone()
    if row is None or (msg := scanned_of(row).message) is None:
        return None
    thread = idx.db.execute("SELECT thread FROM messages WHERE message_id = ? LIMIT 1",
                            (message_id,)).fetchone()[0]
    return thread, msg


def _thread(idx: Index, thread: str) -> list[Message]:
    rows = idx.db.execute(f"{SELECT} WHERE thread = ? ORDER BY epoch, pos", (thread,))
    return [m for r in rows if (m := scanned_of(r).message) is not None]


def _series_of(idx: Index, message_id: str, cache: dict[str, list[Series]]) -> Series | None:
    """The series a message belongs to, or the one it replies to, grouped from its
    whole thread."""
    found = _message(idx, message_id)
    if found is None:
        return None
    thread, _ = found
    if thread not in cache:
        messages = _thread(idx, thread)
        cache[thread] = group_series(m for m in messages if m.is_patch_email)
        attach_replies(cache[thread], messages)
    for s in cache[thread]:
        if any(m.message_id == message_id for m in s.messages) or message_id in s.answers:
            return s
    return None


def series_life(idx: Index, asked: str, tree: Path | None = None) -> list[Series]:
    """Every posting of the series that ``asked`` (a Message-ID of any of its messages,
    or of a reply to one) belongs to, oldest first, linked as the digest links them."""
    message_id = message_id_of(asked)
    if _message(idx, message_id) is None:
        raise ListdigestError(f"no message <{message_id}> in the archive")
    cache: dict[str, list[Series]] = {}
    first = _series_of(idx, message_id, cache)
    if first is None:
        raise ListdigestError(f"<{message_id}> is not a patch email or a reply to one")
    archive = idx.archive
    link_postings(idx, [first], fetch_bodies(archive, [m for m in (first.cover,) if m]))
    versions = [first]
    for posting in (*first.earlier, *first.later):
        s = _series_of(idx, posting.message_id, cache)
        if s is not None and all(s is not v for v in versions):
            versions.append(s)
    versions.sort(key=lambda s: min(m.date for m in s.messages))
    link_postings(idx, versions, fetch_bodies(archive, [s.cover for s in versions if s.cover]))
    judge_replies(versions)
    if tree is not None:
        judge_tree(tree, versions)
    return versions
