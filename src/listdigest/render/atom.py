"""Atom feeds (RFC 4287): one entry per digest, the html digest as its content, stable
``tag:`` ids (RFC 4151) made from the list and the range, so a feed reader sees a
digest once however often the feed is rewritten."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from listdigest.digest import Digest
from listdigest.errors import ListdigestError
from listdigest.model.series import Series
from listdigest.render.html import (
    environment,
    life_title,
    render_html_content,
    render_life_html_content,
    render_stats_html_content,
)
from listdigest.render.view import day, iso
from listdigest.stats.history import Statistics

ATOM_NS = "http://www.w3.org/2005/Atom"
_DNS_RE = re.compile(r"(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
#: The date of the feeds' own tag ids: a constant, as an id must never change.
FEED_TAG_DATE = "2025"


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry."""

    id: str
    title: str
    updated: str
    html: str


def tag_id(list_id: str, date: str, specific: str) -> str:
    """``tag:kvm.vger.kernel.org,2025-08-07:kvm/0619cd1f2..47d25fc1d``: the List-Id
    names the authority when it is a domain name (else ``listdigest.invalid``)."""
    authority = list_id.lower() if _DNS_RE.fullmatch(list_id) else "listdigest.invalid"
    return f"tag:{authority},{date}:{quote(specific, safe='/:@-._~!$&()*+,;=')}"


def digest_entry(d: Digest, key: str, *, start: str | None = None,
                 end: str | None = None) -> Entry:
    """The digest as an entry; its id names the list ``key`` and the range (``start``
    and ``end`` override the digest's own, e.g. the commits of a date range)."""
    rng = f"{start or d.start}..{end or d.end}"
    when = d.newest or 0
    return Entry(id=tag_id(d.list_id, day(when), f"{key}/{rng}"),
                 title=f"{d.list_name} mailing list update from {d.start} to {d.end}",
                 updated=iso(when), html=render_html_content(d))


def entry_xml(e: Entry) -> Markup:
    """The ``<entry>`` element of an entry."""
    return Markup(environment().get_template("entry.atom.j2").render(e=e).strip())


def feed_xml(feed_id: str, title: str, entries: list[Entry] | list[Markup],
             updated: str) -> str:
    """A whole feed of entries (``Entry`` or ``<entry>`` elements kept from a feed)."""
    xml = [e if isinstance(e, Markup) else entry_xml(e) for e in entries]
    return environment().get_template("feed.atom.j2").render(
        feed_id=feed_id, title=title, entries=xml, updated=updated)


def render_atom(d: Digest) -> str:
    """A feed holding the digest as its one entry."""
    e = digest_entry(d, d.list_name)
    return feed_xml(tag_id(d.list_id, FEED_TAG_DATE, d.list_name),
                    f"{d.list_name} mailing list updates", [e], e.updated)


def render_stats_atom(s: Statistics) -> str:
    """A feed holding the statistics as its one entry."""
    rng = f"{s.start}..{s.end}"
    updated = iso(int(time.time()))  # statistics carry no dates of their own: now
    e = Entry(id=tag_id("", FEED_TAG_DATE, f"{s.list_name}/stats/{s.by}/{rng}"),
              title=f"{s.list_name} mailing list statistics from {s.start} to {s.end}",
              updated=updated, html=render_stats_html_content(s))
    return feed_xml(tag_id("", FEED_TAG_DATE, f"{s.list_name}/stats"),
                    f"{s.list_name} mailing list statistics", [e], updated)


def kept_entries(path: Path) -> list[tuple[str, Markup]]:
    """The entries of the feed a previous run wrote at ``path`` as ``(id, <entry>)``,
    newest first; none when there is no file yet. A file that is not such a feed is
    an error (rather than a feed silently started over)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ListdigestError(f"cannot read feed {path}: {exc}") from None
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ListdigestError(f"{path} is not an Atom feed ({exc}): move it away to start "
                              "a new one") from None
    if root.tag != f"{{{ATOM_NS}}}feed":
        raise ListdigestError(f"{path} is not an Atom feed: move it away to start a new one")
    ET.register_namespace("", ATOM_NS)
    kept = []
    for element in root.findall(f"{{{ATOM_NS}}}entry"):
        entry_id = element.findtext(f"{{{ATOM_NS}}}id", "")
        kept.append((entry_id, Markup(ET.tostring(element, encoding="unicode").strip())))
    return kept


def _range_of(entry_id: str) -> str:
    """``kvm/FROM..`` of ``tag:…,DAY:kvm/FROM..TO``: entries of one start are one
    digest (a run that failed after writing the feed is redone with a later end)."""
    specific = entry_id.split(":", 2)[-1]
    return specific.rpartition("..")[0] + ".."


def updated_feed(path: Path, entry: Entry, *, feed_id: str, title: str, keep: int) -> str:
    """The feed at ``path`` with ``entry`` added first, the oldest entries beyond
    ``keep`` dropped, and an entry of the same list and start replaced."""
    kept = [xml for entry_id, xml in kept_entries(path)
            if _range_of(entry_id) != _range_of(entry.id)]
    return feed_xml(feed_id, title, [entry_xml(entry), *kept[: keep - 1]], entry.updated)


def render_life_atom(versions: list[Series], link_base: str | None) -> str:
    """A feed holding the life of a series as its one entry, updated at its newest
    message; the id names the series by its first posting's first Message-ID."""
    first = versions[0].messages[0]
    newest = max(m.date for s in versions for m in s.messages)
    e = Entry(id=tag_id(first.list_id, day(newest), f"series/{first.message_id}"),
              title=life_title(versions), updated=iso(newest),
              html=render_life_html_content(versions, link_base))
    return feed_xml(tag_id(first.list_id, FEED_TAG_DATE, f"series/{first.message_id}"),
                    life_title(versions), [e], e.updated)
