"""Build a digest: read a range of an archive, account for every commit, group, count.

This module joins the stages; each rule lives in its stage (subject tags in
``mail.subject``, series in ``model.series``, tables in ``stats``). Messages come
from git (``scan``) or from the index, which stores the same records, so a
digest is the same either way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from listdigest.errors import ListdigestError
from listdigest.index.history import lead_blobs
from listdigest.mail.address import parse_address
from listdigest.mail.body import cover_text
from listdigest.mail.message import Message, commit_message, message_date
from listdigest.mail.scan import Scanned, Window, scan_parallel
from listdigest.model.series import (
    Series,
    attach_replies,
    group_series,
    note_applied,
    note_tree_commits,
)
from listdigest.sources.archive import Archive
from listdigest.sources.blobs import read_blobs
from listdigest.sources.dates import day_label, parse_when
from listdigest.sources.files import path_name
from listdigest.sources.mailmap import Mailmap
from listdigest.sources.tree import applied_commits
from listdigest.stats.contributors import (
    Row,
    contributor_table,
    domain_table,
    format_address,
)
from listdigest.stats.history import Day, per_day

if TYPE_CHECKING:  # digest reads through an index when one is given; only its type is needed
    from listdigest.index import Index

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Skip:
    """A commit of the range that gave no message, and why."""

    commit: str
    reason: str


@dataclass(slots=True)
class Accounting:
    """Where every commit of the range went: commits = patch emails + replies + other
    + duplicates + already published + skipped."""

    commits: int = 0
    patch_emails: int = 0
    replies: int = 0
    other: int = 0
    duplicates: list[Message] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    date_fallbacks: int = 0
    already_published: int = 0
    """Messages an earlier ``update`` digest held (by Message-ID): left out, counted."""

    @property
    def messages(self) -> int:
        """Commits that held a readable message (duplicates included)."""
        return self.commits - len(self.skipped)

    def summary(self) -> str:
        """The one-line account printed on stderr."""
        line = (f"{_n(self.commits, 'commit')}: {_n(self.messages, 'message')} "
                f"({_n(self.patch_emails, 'patch email')}, {_n(self.replies, 'reply', 'replies')}"
                f", {self.other} other, {_n(len(self.duplicates), 'duplicate')}), "
                f"{len(self.skipped)} skipped")
        if self.already_published:
            line += f"; {self.already_published} already published"
        if self.date_fallbacks:
            line += f"; {self.date_fallbacks} with a bad or future Date (commit time used)"
        return line


def _n(n: int, word: str, many: str | None = None) -> str:
    """``1 duplicate``, ``2 duplicates``, ``1 reply``, ``3 replies``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


@dataclass(slots=True)
class Digest:
    """Everything a rendered digest shows."""

    list_name: str
    start: str
    end: str
    by_date: bool
    top: int
    patches: list[Message]
    series: list[Series]
    domains: list[Row]
    contributors: list[Row]
    entries: list[tuple[Series, Message]]
    bodies: dict[str, str]
    """The commit message section of each message shown, by blob."""
    accounting: Accounting
    all_domains: list[Row] = field(default_factory=list)
    """The whole tables (JSON); ``domains`` and ``contributors`` keep the top rows."""
    all_contributors: list[Row] = field(default_factory=list)
    commits: tuple[str, str] | None = None
    """For a date range, the commits of its first and last message."""
    dates: tuple[float | None, float | None] = (None, None)
    """The range's first and last date (its bounds, else its messages' dates)."""
    link_base: str | None = None
    """Prefix of a message's web address (``https://lore.kernel.org/r/``), if wanted."""
    list_id: str = ""
    """The List-Id of the range's first message that has one."""
    days: list[Day] = field(default_factory=list)
    """Messages and patch emails per day of the range, for charts."""
    newest: int = 0
    """The newest Date of the range (seconds), 0 when it is empty."""
    waiting: list[Series] = field(default_factory=list)
    """Series of the range still without a reply ``--wait`` days after they came."""
    message_ids: tuple[str, ...] = ()
    """The Message-IDs of the range's messages (what ``update`` remembers it sent)."""

    def body_text(self, s: Series, msg: Message) -> str | None:
        """The text shown for a message of a series (a cover letter's stops after its
        diffstat); None when git could not give the body."""
        b = self.bodies.get(msg.blob)
        if b is None:
            return None
        return cover_text(b) if s.role(msg) == "cover" else b

    def link(self, msg: Message) -> str | None:
        """The web address of a message, public-inbox style (Message-ID escaped)."""
        return message_link(self.link_base, msg.message_id)

    def web_link(self, msg: Message) -> str | None:
        """The address linked from pages (html, markdown, atom): the link base, else
        lore's for a list lore is known to carry."""
        return message_link(self.link_base or default_link_base(self.list_id), msg.message_id)


#: List-Id endings of the lists lore.kernel.org archives, and its address for a message.
LORE_LIST_IDS = ("vger.kernel.org", "lists.linux.dev")
LORE_LINK_BASE = "https://lore.kernel.org/r/"


def default_link_base(list_id: str) -> str | None:
    """``https://lore.kernel.org/r/`` for a list hosted at vger or lists.linux.dev."""
    return LORE_LINK_BASE if list_id.lower().endswith(LORE_LIST_IDS) else None


def message_link(base: str | None, message_id: str) -> str | None:
    """``base`` + the Message-ID escaped as public-inbox does, or None without either."""
    if not base or not message_id:
        return None
    return base + quote(message_id, safe="-._~!$&'()*+,;=:@")


def collect(scanned: Iterable[Scanned],
            keep: Callable[[int], bool] | None = None) -> tuple[list[Message], Accounting]:
    """Account for each commit and keep the unique messages; ``keep`` filters by date
    (messages and skipped commits outside it are not part of the range)."""
    acc = Accounting()
    seen: set[str] = set()
    kept: list[Message] = []
    for item in scanned:
        msg = item.message
        when = msg.date if msg else item.entry.time
        if keep is not None and not keep(when):
            continue
        acc.commits += 1
        if msg is None:
            acc.skipped.append(Skip(item.entry.commit, item.reason))
            continue
        if not msg.date_ok:
            acc.date_fallbacks += 1
        if msg.message_id and msg.message_id in seen:
            acc.duplicates.append(msg)
            continue
        if msg.message_id:
            seen.add(msg.message_id)
        _count(acc, msg, 1)
        kept.append(msg)
    return kept, acc


def _count(acc: Accounting, msg: Message, n: int) -> None:
    if msg.is_patch_email:
        acc.patch_emails += n
    elif msg.kind == "reply":
        acc.replies += n
    else:
        acc.other += n


def leave_out(sel: Selection, published: frozenset[str]) -> None:
    """Drop the messages an earlier digest held (by Message-ID) from ``sel``; they stay
    in its account as already published."""
    if not published:
        return
    kept = []
    for msg in sel.messages:
        if msg.message_id in published:
            _count(sel.accounting, msg, -1)
            sel.accounting.already_published += 1
        else:
            kept.append(msg)
    sel.messages = kept


@dataclass(slots=True)
class Selection:
    """The messages of a range, their account, and how the range is titled."""

    messages: list[Message]
    accounting: Accounting
    start: str
    end: str
    by_date: bool
    commits: tuple[str, str] | None = None
    """For a date range, the commits of its first and last message."""
    first_date: float | None = None
    """The range's dates: its --since/--until, else its messages' earliest and latest."""
    last_date: float | None = None
    bounds: tuple[float, float] = (float("-inf"), float("inf"))
    """The --since/--until of a date range, in seconds."""
    bodies: dict[str, str] = field(default_factory=dict)
    """Sections a git scan kept (``shown``), by blob: not read from git again."""
    leads: Callable[[], dict[str, str]] | None = None
    """For a date range read from the index: waits for the sections of its cover
    letters and first patches, which git reads in a thread from the start."""

    @property
    def end_label(self) -> str:
        """A title's end; a date range also names its first and last message's commits."""
        if self.commits is None:
            return self.end
        return f"{self.end} ({self.commits[0][:9]}..{self.commits[1][:9]})"


#: ``progress(done, total)`` of a git scan, set by the command line while it draws a bar.
SCAN_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "SCAN_PROGRESS", default=None)


def range_bounds(archive: Archive, *, rev_from: str | None, rev_to: str | None,
                 since: str | None, until: str | None) -> tuple[bool, float, float]:
    """Whether the range is by dates, and its --since/--until in seconds (infinite when
    not given); a range mixing both forms, or reversed, is refused."""
    by_date = since is not None or until is not None
    if by_date and (rev_from or rev_to):
        raise ListdigestError("use --from/--to (or A..B) or --since/--until, not both")
    lo = parse_when(since).timestamp() if since else float("-inf")
    hi = parse_when(until, end=True).timestamp() if until else float("inf")
    if lo > hi:
        raise ListdigestError(f"reversed range: --since {since} is after --until {until}")
    archive.check_order(rev_from, rev_to)
    return by_date, lo, hi


def select(archive: Archive, idx: Index | None, *, rev_from: str | None,
           rev_to: str | None, since: str | None, until: str | None,
           shown: Callable[[Message], bool] | None = None) -> Selection:
    """The messages of a range by commits or by dates, read from an open, current index
    or (``idx`` None) from git: the same either way. A git scan tells SCAN_PROGRESS how
    far it got, and keeps the sections of the messages ``shown`` accepts (the index
    keeps no bodies); with ``shown``, a date range read from the index has git read its
    cover letters and first patches meanwhile (``Selection.leads``)."""
    by_date, lo, hi = range_bounds(archive, rev_from=rev_from, rev_to=rev_to, since=since,
                                   until=until)
    keep = Window(lo, hi) if by_date else None
    leads = None
    if idx is None:
        entries = list(archive.commits(rev_from, rev_to))
        items = []
        bodies: dict[str, str] = {}
        progress = SCAN_PROGRESS.get()
        for item in scan_parallel(archive, entries, keep, shown=shown):
            items.append(item)
            if item.section is not None and item.entry.blob:
                bodies[item.entry.blob] = item.section
            if progress is not None and len(items) % 256 == 0:
                progress(len(items), len(entries))
    else:
        bodies = {}
        if by_date and shown is not None:
            # What a digest shows is known only once its series are, but it is nearly
            # always the range's cover letters and first patches: git reads those now,
            # in a thread, while the rows become records and are grouped.
            found = lead_blobs(idx, lo, hi)
            leads = behind(lambda: read_sections(archive, found))
        items = idx.scanned_between(lo, hi) if by_date else idx.scanned(rev_from, rev_to)
    messages, acc = collect(items, keep)
    dates = [m.date for m in messages]
    first = lo if since else min(dates, default=None)
    last = hi if until else max(dates, default=None)
    if by_date:
        start = day_label(first if first is not None else time.time())
        end = day_label(last if last is not None else time.time())
        commits = (messages[0].commit, messages[-1].commit) if messages else None
    else:
        start = (archive.resolve(rev_from)[1] if rev_from else
                 items[0].entry.commit if items else "start")[:9]
        end = (archive.resolve(rev_to)[1] if rev_to else
               items[-1].entry.commit if items else start)[:9]
        commits = None
    return Selection(messages, acc, start, end, by_date, commits, first, last, (lo, hi),
                     bodies, leads)


def apply_mailmap(archive: Archive, messages: list[Message],
                  mailmap: Mailmap) -> list[Message]:
    """The messages with every author, sender and trailer address as the mailmap says
    (one git call for the whole range)."""
    people = set()
    for m in messages:
        people |= {(m.author_name, m.author_addr), (m.from_name, m.from_addr)}
        people |= {parse_address(v) for _, v in m.trailers if "@" in v}
    mapped = mailmap.lookup(archive.epochs[0].path, people)
    if not mapped:
        return messages

    def trailer(key: str, value: str) -> tuple[str, str]:
        if "@" not in value or (who := parse_address(value)) not in mapped:
            return key, value
        return key, format_address(*mapped[who])

    out = []
    for m in messages:
        author = mapped.get((m.author_name, m.author_addr), (m.author_name, m.author_addr))
        sender = mapped.get((m.from_name, m.from_addr), (m.from_name, m.from_addr))
        out.append(replace(m, author_name=author[0], author_addr=author[1],
                           from_name=sender[0], from_addr=sender[1],
                           trailers=tuple(trailer(k, v) for k, v in m.trailers)))
    return out


def message_span(archive: Archive) -> tuple[int, int] | None:
    """The Date of the archive's first and newest messages (commit time where a Date is
    unreadable); None for an empty archive. Said when a range misses the archive."""
    dates = []
    for entry in (archive.first_commit(), archive.last_commit()):
        if entry is None or entry.blob is None:
            continue
        epoch = next(e for e in archive.epochs if e.number == entry.epoch)
        for _, raw in read_blobs(epoch.path, [entry.blob]):
            dates.append(entry.time if raw is None else message_date(raw, entry.time))
    return (min(dates), max(dates)) if dates else None


def check_inside(archive: Archive, sel: Selection) -> None:
    """A date range that found nothing and lies wholly before or after the archive's
    messages is an error that says where they begin and end."""
    if not sel.by_date or sel.accounting.commits or (span := message_span(archive)) is None:
        return
    lo, hi = sel.bounds
    if hi < span[0] or lo > span[1]:
        raise ListdigestError(
            f"no message in the range: the archive's messages run from "
            f"{_stamp(span[0])} to {_stamp(span[1])}")


def _stamp(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def build_digest(archive: Archive, messages: list[Message], acc: Accounting, *,
                 list_name: str | None, start: str, end: str, by_date: bool, top: int,
                 show_all: bool, commits: tuple[str, str] | None = None,
                 dates: tuple[float | None, float | None] = (None, None),
                 followups: Callable[[list[Series]], list[Message]] | None = None,
                 newest: int | None = None, wait_days: int = 7,
                 tree: Path | None = None, bodies: dict[str, str] | None = None,
                 leads: Callable[[], dict[str, str]] | None = None) -> Digest:
    """Group, count and fetch the bodies the digest shows (``tree``: a clone of the
    project whose commits name the patches they apply). ``followups`` gives the
    replies in the series' threads beyond the range (from the index); ``newest`` is the
    date the waiting time of a series is counted to (default: the range's newest);
    ``bodies``: sections the scan kept, by blob (the others are read from git);
    ``leads``: waits for the sections of the range's cover letters and first patches,
    read while the range was (see ``select``)."""
    patches = [m for m in messages if m.is_patch_email]
    series = group_series(patches)
    entries: list[tuple[Series, Message]] = []
    for s in series:
        shown = s.messages if show_all else [m for m in (s.cover, s.first_patch) if m]
        entries.extend((s, m) for m in shown)
    # Git reads the bodies not read yet (a third of a week's digest from the index,
    # mostly git resolving deltas) while the replies are read and the tables counted.
    shown = [m for _, m in entries]
    shown_bodies = behind(lambda: fetch_bodies(
        archive, shown, {**(bodies or {}), **(leads() if leads else {})}))
    domains, people = domain_table(patches), contributor_table(patches)
    attach_replies(series, messages + (followups(series) if followups else []))
    judge_replies(series)
    if tree is not None:
        judge_tree(tree, series)
    d = Digest(
        list_name=list_name or default_list_name(archive, messages),
        start=start, end=end, by_date=by_date, top=top,
        patches=patches, series=series,
        domains=domains[:top], contributors=people[:top],
        entries=entries, bodies=shown_bodies(),
        accounting=acc, all_domains=domains, all_contributors=people,
        commits=commits, dates=dates,
        list_id=next((m.list_id for m in messages if m.list_id), ""),
        days=per_day(messages), newest=max((m.date for m in messages), default=0),
        message_ids=tuple(m.message_id for m in messages if m.message_id),
    )
    d.waiting = waiting(series, d.newest if newest is None else newest, wait_days)
    return d


def waiting(series: list[Series], newest: int, days: int) -> list[Series]:
    """The series without any reply that were posted ``days`` or more before
    ``newest``."""
    return [s for s in series if not s.replies
            and newest - min(m.date for m in s.messages) >= days * 86400]


def fetch_bodies(archive: Archive, messages: list[Message],
                 kept: dict[str, str] | None = None) -> dict[str, str]:
    """The commit message sections of the messages a digest shows, by blob id: those
    ``kept`` by the scan, the others read again from git."""
    kept = kept or {}
    found = {m.blob: kept[m.blob] for m in messages if m.blob in kept}
    found.update(read_sections(archive, [(m.epoch, m.blob) for m in messages
                                         if m.blob not in found]))
    return found


def behind(work: Callable[[], T]) -> Callable[[], T]:
    """Run ``work`` in a thread, started now; the function returned waits for its result
    (and raises what it raised). For git's reads of bodies: the thread mostly waits
    for git, without the interpreter lock, while the range is read and grouped."""
    result: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # handed to the caller, which raises it
            failed.append(exc)

    reader = threading.Thread(target=run, name="listdigest-bodies", daemon=True)
    reader.start()

    def wait() -> T:
        reader.join()
        if failed:
            raise failed[0]
        return result[0]

    return wait


def read_sections(archive: Archive, blobs: Iterable[tuple[int, str]]) -> dict[str, str]:
    """The commit message sections of blobs given as (epoch, blob id), by blob id (those
    git can still give): one ``git cat-file`` per epoch."""
    wanted = list(blobs)
    found: dict[str, str] = {}
    for epoch in archive.epochs:
        ids = sorted({blob for number, blob in wanted if number == epoch.number and blob})
        for blob, raw in read_blobs(epoch.path, ids):
            if raw is not None:
                found[blob] = commit_message(raw).section
    return found


def judge_tree(tree: Path, series: list[Series]) -> None:
    """Mark the patches whose Message-ID a commit of ``tree`` names (``Link:``,
    ``Message-ID:`` trailers) as applied by that commit."""
    ids = [m.message_id for s in series for m in s.patches.values() if m.message_id]
    found = applied_commits(tree, ids)
    for s in series:
        note_tree_commits(s, path_name(tree.name), found)


def judge_replies(series: list[Series]) -> None:
    """Note the replies' "applied"/"queued" notes and requests for a new version in
    their series (judged at parse time, see Message.applied). A note from the series'
    own sender is none: it is the author's own "applied locally" or a changelog."""
    for s in series:
        for reply in s.replies:
            if reply.from_addr == s.sender:
                continue
            if reply.applied is not None:
                note_applied(s, reply, reply.applied)
            elif reply.asks_respin:
                s.respin_asked = True


def default_list_name(archive: Archive, messages: list[Message]) -> str:
    """The list's name from its List-Id (``<kvm.vger.kernel.org>`` → ``kvm``), else the
    archive folder's name."""
    for msg in messages:
        if msg.list_id:
            return msg.list_id.split(".", 1)[0]
    return path_name(archive.path.resolve().name).removesuffix(".git")
