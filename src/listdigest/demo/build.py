"""Build public-inbox archives from raw emails with one ``git fast-import`` per repository.

The demo and the tests need real archives without a network or public-inbox itself.
Every commit is derived from the messages and their order only (no clock, no
environment), so the same input always gives the same commit ids; and any bytes are
accepted, because tests build archives from deliberately broken mail.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import utils
from pathlib import Path

from listdigest.errors import ArchiveError
from listdigest.mail.address import parse_address
from listdigest.mail.headers import decode_words, header_fields, split_message
from listdigest.mail.message import message_ids
from listdigest.sources.archive import Archive, git
from listdigest.sources.blobs import read_blobs

DEFAULT_LIST_ADDRESS = "demo@lists.example.org"
#: Author date of a message whose Date header is missing or unparseable.
FALLBACK_TIME = 946_684_800  # 2000-01-01T00:00:00Z
_MAX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z; later dates are treated as unparseable
_MAX_OFFSET = 14 * 3600  # the widest real UTC offset; git rejects wider ones
_MASTER = "refs/heads/master"
_REWRITE_REF = "refs/listdigest/rewrite"
_IDENT_JUNK_RE = re.compile(r"[<>\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class _Commit:
    """One commit for fast-import: ident lines as ``Name <addr> time tz``, the message,
    and the fast-import file commands that make its whole tree."""

    author: bytes
    committer: bytes
    message: bytes
    changes: bytes


def build_archive(
    dest: Path,
    messages: Sequence[bytes],
    *,
    epoch_size: int | None = None,
    version: int = 2,
    list_address: str = DEFAULT_LIST_ADDRESS,
) -> Path:
    """Write ``messages`` (raw email bytes, archive order) as a public-inbox archive at
    ``dest`` and return ``dest``.

    Version 2 makes ``dest/git/N.git`` epochs of ``epoch_size`` messages each (one epoch
    when None); version 1 makes ``dest`` a single bare repository whose tree accumulates
    the messages at paths named by the SHA-1 of their Message-ID. Two identical
    consecutive messages give a v2 commit that adds nothing (its tree is unchanged),
    as git cannot tell them apart.
    """
    if version not in (1, 2):
        raise ValueError(f"public-inbox version must be 1 or 2, not {version}")
    if epoch_size is not None and epoch_size < 1:
        raise ValueError(f"epoch_size must be at least 1, not {epoch_size}")
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest} already exists and is not an empty folder")
    commits = _new_commits(messages, list_address, after=0, v1=version == 1)
    if version == 1:
        _import(_init(dest), commits)
        return dest
    size = epoch_size or max(len(commits), 1)
    for number, first in enumerate(range(0, max(len(commits), 1), size)):
        _import(_init(dest / "git" / f"{number}.git"), commits[first:first + size])
    return dest


def append_messages(
    inbox: Path,
    messages: Sequence[bytes],
    *,
    list_address: str = DEFAULT_LIST_ADDRESS,
    new_epoch: bool = False,
) -> list[str]:
    """Add one commit per message to the newest epoch of the v2 inbox at ``inbox`` (or
    to a new epoch after it, as public-inbox does when an epoch is full) and return the
    new commit ids, oldest first. Appending gives the same ids as building all the
    messages at once, so incremental and full indexing can be compared."""
    if not messages:
        return []
    archive = Archive.open(inbox)
    if archive.kind != "v2":
        raise ArchiveError(f"{inbox} is not a v2 inbox (it is {archive.kind})")
    last = archive.epochs[-1]
    tip = archive.head(last)
    after = int(git(last.path, "log", "-1", "--format=%ct", tip)) if tip else 0
    commits = _new_commits(messages, list_address, after=after, v1=False)
    if new_epoch:
        repo, parent = _init(archive.path / "git" / f"{last.number + 1}.git"), None
    else:
        repo, parent = last.path, tip
    _import(repo, commits, parent=parent)
    spec = f"{parent}..{_MASTER}" if parent else _MASTER
    return git(repo, "rev-list", "--reverse", spec).decode().split()


def rewrite_epoch(inbox: Path, epoch: int, keep: Callable[[bytes], bool]) -> str | None:
    """Rewrite epoch ``epoch`` of the v2 inbox at ``inbox`` without the messages for
    which ``keep(raw)`` is false, as lore does to purge spam; return the new tip (None
    when nothing is left).

    The kept commits keep their author, committer, message and tree, so the commits
    before the first dropped one keep their ids and the rest get new ones. The epoch is
    held in memory, which suits the test archives this is for.
    """
    archive = Archive.open(inbox)
    found = [e for e in archive.epochs if e.number == epoch]
    if archive.kind == "v1" or not found:
        raise ArchiveError(f"{inbox} has no v2 epoch {epoch}")
    repo = found[0].path
    old_tip = archive.head(found[0])
    if old_tip is None:
        return None
    entries = list(Archive(repo, "epoch", (found[0],)).commits())
    ids = [e.commit for e in entries]
    wanted = [*ids, *(f"{c}^{{tree}}" for c in ids), *(e.blob for e in entries if e.blob)]
    objects = dict(read_blobs(repo, list(dict.fromkeys(wanted))))
    if missing := [oid for oid, data in objects.items() if data is None]:
        raise ArchiveError(f"cannot rewrite {repo}: git lacks object {missing[0]}")
    commits = []
    for entry in entries:
        if entry.blob and not keep(objects[entry.blob] or b""):
            continue
        header, _, message = (objects[entry.commit] or b"").partition(b"\n\n")
        fields = dict(line.partition(b" ")[::2] for line in header.split(b"\n"))
        tree = objects[f"{entry.commit}^{{tree}}"] or b""
        commits.append(_Commit(fields[b"author"], fields[b"committer"], message,
                               _tree_changes(tree)))
    git(repo, "update-ref", "-d", _REWRITE_REF)
    _import(repo, commits, ref=_REWRITE_REF)
    if not commits:
        git(repo, "update-ref", "-d", _MASTER, old_tip)
        return None
    new_tip = git(repo, "rev-parse", "--verify", _REWRITE_REF).decode().strip()
    git(repo, "update-ref", "-m", "rewrite_epoch", _MASTER, new_tip, old_tip)
    git(repo, "update-ref", "-d", _REWRITE_REF)
    return new_tip


def reimport_epoch(inbox: Path, epoch: int, messages: Sequence[bytes], *, at: int,
                   list_address: str = DEFAULT_LIST_ADDRESS) -> str:
    """Replace the history of epoch ``epoch`` of the v2 inbox at ``inbox`` by one commit
    per message of ``messages`` committed at ``at`` or later, as a public-inbox
    re-import does (new commit ids and commit times, messages possibly new or in
    another order); return the new tip."""
    archive = Archive.open(inbox)
    found = [e for e in archive.epochs if e.number == epoch]
    if archive.kind == "v1" or not found or not messages:
        raise ArchiveError(f"{inbox} has no v2 epoch {epoch} (or no message to import)")
    repo, old_tip = found[0].path, archive.head(found[0])
    git(repo, "update-ref", "-d", _REWRITE_REF)
    _import(repo, _new_commits(messages, list_address, after=at, v1=False), ref=_REWRITE_REF)
    new_tip = git(repo, "rev-parse", "--verify", _REWRITE_REF).decode().strip()
    git(repo, "update-ref", "-m", "reimport_epoch", _MASTER, new_tip, *(
        [old_tip] if old_tip else []))
    git(repo, "update-ref", "-d", _REWRITE_REF)
    return new_tip


def _init(path: Path) -> Path:
    """Create an empty bare repository whose HEAD is ``master``, like public-inbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--bare", "--initial-branch=master")
    return path


def _import(repo: Path, commits: Sequence[_Commit], *, ref: str = _MASTER,
            parent: str | None = None) -> None:
    """Write ``commits`` as a chain on ``ref`` (after ``parent``) in one fast-import."""
    out = [b"feature done\n"]
    for i, c in enumerate(commits):
        out += [f"commit {ref}\n".encode(), b"author ", c.author, b"\ncommitter ", c.committer,
                b"\n", _data(c.message)]
        if i == 0 and parent:
            out.append(f"from {parent}\n".encode())
        out.append(c.changes)
    out.append(b"done\n")
    git(repo, "fast-import", "--quiet", "--date-format=raw", input=b"".join(out))


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _tree_changes(tree: bytes) -> bytes:
    """fast-import commands recreating a raw git tree object (``mode name\\0oid`` entries)."""
    out = [b"deleteall\n"]
    pos = 0
    while pos < len(tree):
        nul = tree.index(b"\0", pos)
        mode, _, name = tree[pos:nul].partition(b" ")
        out.append(b"M %s %s %s\n" % (mode.rjust(6, b"0"), tree[nul + 1:nul + 21].hex().encode(),
                                      name))
        pos = nul + 21
    return b"".join(out)


def _new_commits(messages: Sequence[bytes], list_address: str, *, after: int,
                 v1: bool) -> list[_Commit]:
    """Commits for new messages. The committer date is the latest Date seen so far (and
    not before ``after``), so it never goes back in time, like a list's arrival times."""
    committer = f"{list_address.partition('@')[0] or 'list'} <{list_address}>".encode()
    clock = after
    commits = []
    for raw in messages:
        fields = header_fields(split_message(raw)[0])  # read as listdigest reads mail
        when, tz = _date(fields.get("date"))
        clock = max(clock, when)
        if v1:
            changes = b"M 100644 inline " + _v1_path(fields.get("message-id", ""), raw) + b"\n"
        else:
            changes = b"deleteall\nM 100644 inline m\n"
        subject = decode_words(fields.get("subject", ""))
        commits.append(_Commit(
            author=_author(fields.get("from", "")) + f" {when} {tz}".encode(),
            committer=committer + f" {clock} +0000".encode(),
            message=(subject + "\n").encode("utf-8", "replace") if subject else b"",
            changes=changes + _data(raw),
        ))
    return commits


def _date(value: str | None) -> tuple[int, str]:
    """Seconds since the epoch and git's ``+hhmm`` offset from a Date header. A date
    without a zone counts as UTC (never the local zone, which would break determinism)."""
    parsed = None
    if value is not None:
        try:
            parsed = utils.parsedate_tz(value)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        return FALLBACK_TIME, "+0000"
    offset = parsed[9] or 0
    try:
        when = utils.mktime_tz((*parsed[:9], offset))
    except (OverflowError, ValueError):
        return FALLBACK_TIME, "+0000"
    if not 0 <= when <= _MAX_TIME:
        return FALLBACK_TIME, "+0000"
    if abs(offset) > _MAX_OFFSET:
        offset = 0
    hours, minutes = divmod(abs(offset) // 60, 60)
    return when, f"{'-' if offset < 0 else '+'}{hours:02d}{minutes:02d}"


def _author(value: str) -> bytes:
    """``Name <addr>`` from a From header, stripped of what git forbids in an ident."""
    name, addr = parse_address(value)
    name = _IDENT_JUNK_RE.sub("", name).strip()
    addr = _IDENT_JUNK_RE.sub("", addr).strip()
    return f"{name or addr or 'unknown'} <{addr}>".encode("utf-8", "replace")


def _v1_path(message_id: str, raw: bytes) -> bytes:
    """A v1 message's path: SHA-1 of its Message-ID (without <>) split 2/38; a message
    without one is named after its content so that it still gets a stable path."""
    ids = message_ids(message_id)
    digest = hashlib.sha1(ids[0].encode() if ids else raw).hexdigest()
    return f"{digest[:2]}/{digest[2:]}".encode()
