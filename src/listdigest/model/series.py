"""Group patch emails into series, the way patchwork and b4 do.

A series is one posting of a patch set: a cover letter (``0/N``, optional) and
patches ``1/N`` … ``N/N`` of one version, from one sender, in one thread. The
rules, applied to messages in archive order:

- A patch without a counter (``[PATCH]``) is a series of its own.
- A numbered patch belongs to the series keyed by its thread root (the first
  Message-ID of References, else In-Reply-To, else its own), its version, its
  total and its sender. Thus patches threaded under their cover letter or under
  each other (deep threading) join, even when they arrive out of order, while a
  v2 posted in reply to v1 starts a series of its own.
- A numbered patch with no References at all joins the newest series of the same
  sender, version and total that lacks its number and began within a day
  (patchwork's fallback for unthreaded mail); else it starts one.
- A numbered patch without a version tag whose thread, total and sender match a
  series of another version joins it: a ``[PATCH v3 0/4]`` cover letter over
  ``[PATCH 1/4]`` … ``[PATCH 4/4]`` is one posting.
- A numbered patch threaded under a cover letter of its sender (the nearest cover
  among its In-Reply-To and References) joins it even when the totals differ
  (``[RFC PATCH v3 0/7]`` over ``1/8`` … ``8/8``) or the patch has no version tag;
  the patches' total is then the series' total.
- An unnumbered ``[PATCH]`` without a diff with numbered patches threaded under it
  (from its sender) is their cover letter.
- A patch tagged as a replacement (``(fix)``, ``REPLACE``) in reply to a message of a
  series whose number it repeats is that series' replacement of the number.
- A number seen again in a series (an unlabelled resend) starts a new series.
- A number is *missing* when no patch email of the series' threads and version
  (from anyone, in any series) has it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from listdigest.mail.applied import AppliedNote
from listdigest.mail.message import Message
from listdigest.mail.subject import Subject

_UNTHREADED_WINDOW = 24 * 3600
_VERSION_TAG_RE = re.compile(r"(?i)^(?:patch-?)?v\d+$")


@dataclass(frozen=True, slots=True)
class Posting:
    """Another posting of a series (found in an index's history): version, date, the
    Message-ID of its cover letter or first patch, and whether it was an RFC."""

    version: int
    date: int
    message_id: str
    rfc: bool = False


@dataclass(frozen=True, slots=True)
class Applied:
    """Where a series, or some of its patches, went: told by a reply (``Applied to
    kvm-x86 next, thanks!``) or by a commit of a local tree (``--tree``)."""

    by: str
    """Who said so, ``Name <addr>``; ``tree`` for a commit found in the tree."""
    date: int | None
    """When the reply said so (None for a tree's commit)."""
    message_id: str
    """The reply's Message-ID ('' for a tree's commit)."""
    tree: str | None
    branch: str | None
    patches: tuple[int, ...] | None
    """The numbers applied; None: all of them."""
    commits: tuple[str, ...]
    queued: bool = False


@dataclass(slots=True)
class Series:
    """One posting of a patch set, as far as the messages read show it."""

    version: int
    total: int | None
    sender: str
    first: int
    """Position of the series' first message in archive order."""
    cover: Message | None = None
    patches: dict[int, Message] = field(default_factory=dict)
    """Patches by number; a patch without a counter is number 1."""
    replacements: dict[int, list[Message]] = field(default_factory=dict)
    """Patches sent again in the thread to replace one number (``3/6 (fix)``)."""
    in_thread: set[int] = field(default_factory=set)
    """Numbers posted in the series' threads at its version, in this or another series."""
    replies: list[Message] = field(default_factory=list)
    """Replies in the series' threads (see attach_replies)."""
    answers: dict[str, Message] = field(default_factory=dict)
    """Message-ID of a reply -> the series' message it answers (through other replies)."""
    earlier: list[Posting] = field(default_factory=list)
    """Earlier postings, oldest first, when the digest was asked for history."""
    later: list[Posting] = field(default_factory=list)
    """Later postings (re-rolls), oldest first, found the same way."""
    respin_asked: bool = False
    """Someone other than the sender asked for a new version in a reply."""
    applied: list[Applied] = field(default_factory=list)
    """Applied or queued notes of replies, and commits of a tree, oldest first."""

    @property
    def applied_patches(self) -> set[int] | None:
        """The numbers applied, None when all are (empty: none known)."""
        done: set[int] = set()
        for a in self.applied:
            if a.patches is None:
                return None
            done.update(a.patches)
        expected = set(self.patches) | set(range(1, (self.total or 0) + 1))
        return None if expected and done >= expected else done

    @property
    def state(self) -> str:
        """One word for what happened to the series, the most advanced that holds:
        applied (every patch) or partly applied, superseded (a later version exists),
        changes requested (a Nacked-by, or a new version asked for), reviewed (a
        Reviewed-by, Acked-by or Tested-by), discussed (replies), waiting (no reply)."""
        if self.applied:
            return "applied" if self.applied_patches is None else "partly applied"
        if self.later:
            return "superseded"
        given = {tag for reply in self.replies for tag, _ in reviewer_trailers(reply)}
        if self.respin_asked or "Nacked-by" in given:
            return "changes requested"
        if given - {"Nacked-by"}:
            return "reviewed"
        return "discussed" if self.replies else "waiting"

    def add(self, msg: Message, subject: Subject) -> None:
        """Place a message, as cover letter or under its number."""
        if msg.kind == "cover":
            self.cover = msg
        else:
            self.patches[subject.counter or 1] = msg

    def has(self, msg: Message, subject: Subject) -> bool:
        """Whether the place of this message's number is taken already."""
        if msg.kind == "cover":
            return self.cover is not None
        return (subject.counter or 1) in self.patches

    @property
    def messages(self) -> list[Message]:
        """Cover letter first, then patches by number, each followed by its
        replacements."""
        head = [self.cover] if self.cover else []
        for n in sorted(self.patches):
            head.append(self.patches[n])
            head.extend(self.replacements.get(n, ()))
        return head

    def role(self, msg: Message) -> str:
        """``cover``, ``patch`` or ``replacement``: what a message of the series is to it
        (a diff-less ``[PATCH]`` over numbered patches is their cover letter)."""
        if msg is self.cover:
            return "cover"
        if any(msg in group for group in self.replacements.values()):
            return "replacement"
        return "patch"

    @property
    def first_patch(self) -> Message | None:
        """The lowest-numbered patch."""
        return self.patches[min(self.patches)] if self.patches else None

    @property
    def title(self) -> str:
        """The series' subject: the cover letter's, else its first patch's, tags removed."""
        lead = self.cover or self.first_patch
        return lead.tags.text if lead else ""

    @property
    def missing(self) -> list[int]:
        """Patch numbers 1…N of the total that were not seen in the series' threads."""
        if not self.total:
            return []
        return [n for n in range(1, self.total + 1)
                if n not in self.patches and n not in self.in_thread]


def thread_root(msg: Message) -> str:
    """The first Message-ID of References, else In-Reply-To, else the message's own."""
    return msg.references[0] if msg.references else msg.in_reply_to or msg.message_id


def group_series(messages: Iterable[Message]) -> list[Series]:
    """Group the patch emails among ``messages`` into series, in order of first sight."""
    series: list[Series] = []
    by_key: dict[tuple[str, int, int | None, str], Series] = {}
    by_thread: dict[tuple[str, int | None, str], Series] = {}  # any version
    covers: dict[str, Series] = {}  # Message-ID of a cover letter (or diff-less [PATCH])
    owner: dict[str, Series] = {}
    unthreaded = _Unthreaded()
    numbers: dict[tuple[str, int], set[int]] = {}  # (thread, version) -> numbers posted
    threads: dict[int, set[str]] = {}  # id(series) -> its threads
    for pos, msg in enumerate(messages):
        if not msg.is_patch_email:
            continue
        subject = msg.tags
        root = thread_root(msg)
        if subject.counter is None:
            s = Series(subject.version, None, msg.from_addr, pos)
            s.add(msg, subject)
            series.append(s)
            threads[id(s)] = {root}
            if msg.message_id:
                owner[msg.message_id] = s
                if not msg.has_diff:
                    covers[msg.message_id] = s
            continue
        numbers.setdefault((root, subject.version), set()).add(subject.counter)
        # The tags' regular expressions last: only a number already taken can be replaced.
        if ((of := owner.get(msg.in_reply_to)) and of.has(msg, subject)
                and subject.is_replacement):
            of.replacements.setdefault(subject.counter or 1, []).append(msg)
            threads[id(of)].add(root)
            if msg.message_id:
                owner[msg.message_id] = of
            continue
        key = (root, subject.version, subject.total, msg.from_addr)
        current = by_key.get(key)
        if current is None and not _has_version(subject):
            current = by_thread.get((root, subject.total, msg.from_addr))
        if current is None and msg.kind == "patch":
            current = _cover_above(covers, msg, subject)
        if current is None and not msg.references and not msg.in_reply_to:
            current = unthreaded.match(msg, subject)
        if current is None or current.has(msg, subject):
            current = Series(subject.version, subject.total, msg.from_addr, pos)
            series.append(current)
            threads[id(current)] = set()
            if not msg.references and not msg.in_reply_to:
                unthreaded.add(msg, subject, current)
        elif msg.kind == "patch" and current.total != subject.total:
            current.total = subject.total  # the patches count, not the cover's total
        threads[id(current)].add(root)
        by_key[key] = current
        by_thread[(root, subject.total, msg.from_addr)] = current
        if msg.message_id:  # later patches threaded to this one (deep threading) find it
            by_key.setdefault((msg.message_id, subject.version, subject.total, msg.from_addr),
                              current)
            by_thread.setdefault((msg.message_id, subject.total, msg.from_addr), current)
            owner[msg.message_id] = current
            if msg.kind == "cover":
                covers[msg.message_id] = current
        current.add(msg, subject)
    for s in series:
        for root in threads[id(s)]:
            s.in_thread |= numbers.get((root, s.version), set())
    return series


def _has_version(subject: Subject) -> bool:
    return any(_VERSION_TAG_RE.match(t) for t in subject.tags)


def _cover_above(covers: dict[str, Series], msg: Message, subject: Subject) -> Series | None:
    """The series of the nearest cover letter above this patch in its thread, when the
    same sender wrote it and its version agrees (or the patch has none); a diff-less
    unnumbered ``[PATCH]`` found so becomes the cover letter of its numbered patches."""
    for ref in (msg.in_reply_to, *reversed(msg.references)):
        s = covers.get(ref)
        if s is None:
            continue
        single = s.total is None  # a diff-less [PATCH] (no version tag: any version)
        lead = s.cover or s.first_patch
        if s.sender != msg.from_addr or (
                s.version != subject.version and _has_version(subject)
                and not (single and lead is not None and not _has_version(lead.tags))):
            return None
        if single:  # from single patch to cover letter
            if s.cover is None and list(s.patches) == [1]:
                s.cover = s.patches.pop(1)
            s.version = subject.version
        return s
    return None


#: The trailers of a reply that patchwork counts as review (its A/R/T columns).
REVIEW_TAGS = ("Acked-by", "Reviewed-by", "Tested-by")
#: The trailers that name a series' reviewers, in the order a digest lists them.
REVIEWER_TAGS = ("Reviewed-by", "Acked-by", "Tested-by", "Nacked-by")


def attach_replies(series: list[Series], messages: Iterable[Message]) -> None:
    """Give each series the replies whose In-Reply-To or References name one of its
    messages (a reply to a reply counts too), and note which message each answers; a
    reply joins the newest such series. A Message-ID met twice counts once."""
    owner: dict[str, tuple[Series, Message]] = {}
    for s in series:
        for msg in s.messages:
            if msg.message_id:
                owner[msg.message_id] = (s, msg)
    seen: set[str] = set()
    for msg in messages:
        if msg.kind != "reply" or (msg.message_id and msg.message_id in seen):
            continue
        for ref in (msg.in_reply_to, *reversed(msg.references)):
            if ref and (found := owner.get(ref)):
                s, target = found
                s.replies.append(msg)
                if msg.message_id:
                    seen.add(msg.message_id)
                    s.answers[msg.message_id] = target
                    owner.setdefault(msg.message_id, found)
                break


def note_applied(s: Series, reply: Message, note: AppliedNote) -> None:
    """Record a reply's applied note in its series: a note naming no patches covers
    what the reply answers, the whole series for its cover letter (or a single
    patch), else the patch it answers."""
    numbers = note.patches
    target = s.answers.get(reply.message_id)
    if numbers is None and target is not None and target is not s.cover and len(s.patches) > 1:
        numbers = tuple(n for n, m in s.patches.items() if m is target) or None
    s.applied.append(Applied(
        by=f"{reply.from_name} <{reply.from_addr}>" if reply.from_name else reply.from_addr,
        date=reply.date, message_id=reply.message_id, tree=note.tree, branch=note.branch,
        patches=numbers, commits=note.commits, queued=note.queued))


def note_tree_commits(s: Series, tree: str, commits: dict[str, str]) -> None:
    """Record the patches a tree's commits name (Message-ID -> commit id): definitive,
    so they come before any reply's note."""
    done = {n: commits[m.message_id] for n, m in s.patches.items() if m.message_id in commits}
    if done:
        s.applied.insert(0, Applied(by="tree", date=None, message_id="", tree=tree,
                                    branch=None, patches=tuple(sorted(done)),
                                    commits=tuple(done[n] for n in sorted(done))))


def reviewer_trailers(msg: Message) -> list[tuple[str, str]]:
    """The trailers of a message that name a reviewer (REVIEWER_TAGS), tag spelled as
    there whatever its case in the mail."""
    return [(tag, value) for key, value in msg.trailers
            if (tag := key.capitalize()) in REVIEWER_TAGS]


def reviewers(s: Series, patch: Message | None = None) -> dict[str, list[str]]:
    """Who gave each reviewer trailer in the series' replies (``Name <addr>`` as
    written, each once per tag, in order): for one patch, the trailers given to it or
    to the cover letter, which count for every patch."""
    out: dict[str, list[str]] = {}
    for reply in s.replies:
        if patch is not None:
            target = s.answers.get(reply.message_id)
            if target is None or (target is not patch and target is not s.cover):
                continue
        for tag, value in reviewer_trailers(reply):
            names = out.setdefault(tag, [])
            if (label := " ".join(value.split())) not in names:
                names.append(label)
    return {tag: out[tag] for tag in REVIEWER_TAGS if tag in out}


def review_trailers(msg: Message) -> list[tuple[str, str]]:
    """The review trailers of a message as ``(tag, value)``, the tag spelled as in
    REVIEW_TAGS whatever its case in the mail (``Reviewed-By:`` counts too)."""
    return [(tag, value) for key, value in msg.trailers
            if (tag := key.capitalize()) in REVIEW_TAGS]


def review_counts(s: Series) -> dict[str, int]:
    """Acked-by, Reviewed-by and Tested-by trailers given in the series' replies."""
    counts = dict.fromkeys(REVIEW_TAGS, 0)
    for reply in s.replies:
        for tag, _ in review_trailers(reply):
            counts[tag] += 1
    return {k: n for k, n in counts.items() if n}


class _Unthreaded:
    """The series begun by unthreaded numbered patches, which later unthreaded patches
    may join: the newest series of the same sender, version and total, begun within a
    day, that lacks the patch's number.

    Kept per (sender, version, total), with a skip table per number over the series
    that hold it already (they hold it for good), so that many unthreaded patches cost
    linear time: a list of every such series scanned for each patch was quadratic."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, int, int | None], list[tuple[int, Series]]] = {}
        self._skip: dict[tuple[str, int, int | None, int], dict[int, int]] = {}

    def add(self, msg: Message, subject: Subject, s: Series) -> None:
        """Note a series begun by this unthreaded patch."""
        key = (msg.from_addr, subject.version, subject.total)
        self._series.setdefault(key, []).append((msg.date, s))

    def match(self, msg: Message, subject: Subject) -> Series | None:
        """The series this unthreaded patch joins, if any."""
        key = (msg.from_addr, subject.version, subject.total)
        found = self._series.get(key)
        if not found:
            return None
        number = -1 if msg.kind == "cover" else subject.counter or 1
        skip = self._skip.setdefault((*key, number), {})
        i, path = len(found) - 1, []
        while i >= 0:  # the newest series without this number
            if (j := skip.get(i)) is not None:
                path.append(i)
                i = j
            elif found[i][1].has(msg, subject):
                path.append(i)
                i -= 1
            else:
                break
        for p in path:  # every series above i holds the number: never look at them again
            skip[p] = i
        if i < 0 or msg.date - found[i][0] > _UNTHREADED_WINDOW:
            return None
        s = found[i][1]
        return s if s.total == subject.total else None
