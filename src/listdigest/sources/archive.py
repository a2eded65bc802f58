"""Find the git repositories of a public-inbox archive and list the commits of a range.

A public-inbox v2 inbox is a folder holding ``git/0.git``, ``git/1.git``, …: one
timeline split into epochs, each commit adding one message as the file ``m`` (or
recording a removal as the file ``d``). A v1 inbox is a single repository whose
commits add messages at paths named by the SHA-1 of their Message-ID (``ab/cdef…``).
Either kind, or one epoch of a v2 inbox, is accepted.
"""

from __future__ import annotations

import operator
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from listdigest.errors import ArchiveError

_EPOCH_RE = re.compile(r"^(\d{1,9})\.git$")  # a longer number is no epoch of any list
_V1_PATH_RE = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{38}$")
_ZERO = "0" * 40
_FILE_MODES = ("100644", "100755")
_MAX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z

#: Environment for every git call: never prompt, never fetch missing objects of a
#: partial clone over the network (a missing blob is reported, not fetched).
GIT_ENV = {
    **os.environ,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "LC_ALL": "C",
}


@dataclass(frozen=True, slots=True)
class Epoch:
    """One git repository of an archive; ``number`` orders the epochs of a v2 inbox."""

    number: int
    path: Path


@dataclass(frozen=True, slots=True)
class CommitEntry:
    """One commit of the archive with the message blob it adds (``blob`` is None when it
    adds none, e.g. a public-inbox removal record; ``note`` then says why). A v1 commit
    that adds several messages gives one entry per message, in path order, so none is
    lost; their rows stay together in the index."""

    commit: str
    epoch: int
    time: int
    blob: str | None
    note: str = ""

    def __reduce__(self) -> tuple[type[CommitEntry], tuple[object, ...]]:
        # Sent to and from worker processes by the thousand: a plain tuple of every
        # field is cheapest.
        return CommitEntry, _ENTRY_FIELDS(self)


_ENTRY_FIELDS = operator.attrgetter(*CommitEntry.__dataclass_fields__)


def git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    """Run a git command in ``repo`` and return its standard output."""
    proc = subprocess.run(
        ["git", "-c", "protocol.allow=never", "--git-dir", str(repo), *args],
        input=input,
        capture_output=True,
        env=GIT_ENV,
        check=False,
    )
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ArchiveError(f"git {args[0]} failed in {repo}: {msg[-1] if msg else 'error'}")
    return proc.stdout


def is_ancestor(repo: Path, old: str, new: str) -> bool:
    """Whether ``old`` is an ancestor of ``new`` (False too when git lacks ``old``): an
    epoch that grew keeps its old tip in its history, a rewritten one does not."""
    proc = subprocess.run(["git", "--git-dir", str(repo), "merge-base", "--is-ancestor",
                           old, new], capture_output=True, env=GIT_ENV, check=False)
    return proc.returncode == 0


def _is_git_dir(path: Path) -> bool:
    return (path / "objects").is_dir() and (path / "HEAD").is_file()


@dataclass(frozen=True, slots=True)
class Archive:
    """A public-inbox archive: its epochs in timeline order, and its kind."""

    path: Path
    kind: str  # "v2", "epoch" (one repository of a v2 inbox) or "v1"
    epochs: tuple[Epoch, ...]

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Archive:
        """Recognise ``path`` as a v2 inbox, one epoch, or a v1 repository."""
        root = Path(path)
        if not root.exists():
            raise ArchiveError(f"no such archive: {root}")
        gitdir = root / "git"
        if gitdir.is_dir():
            epochs = sorted(
                (Epoch(int(m.group(1)), p) for p in gitdir.iterdir()
                 if (m := _EPOCH_RE.match(p.name)) and _is_git_dir(p)),
                key=lambda e: e.number,
            )
            if not epochs:
                raise ArchiveError(f"{root} has a git/ folder but no epoch repositories")
            return cls(root, "v2", tuple(epochs))
        for candidate in (root, root / ".git"):
            if _is_git_dir(candidate):
                kind = _repo_kind(candidate)
                m = _EPOCH_RE.match(candidate.name)
                return cls(root, kind, (Epoch(int(m.group(1)) if m else 0, candidate),))
        raise ArchiveError(
            f"{root} is not a public-inbox archive (expected git/N.git epochs or a git repository)"
        )

    def head(self, epoch: Epoch) -> str | None:
        """The newest commit of an epoch, or None for an empty repository."""
        try:
            return git(epoch.path, "rev-parse", "--verify", "-q", "HEAD^{commit}").decode().strip()
        except ArchiveError:
            refs = git(epoch.path, "for-each-ref", "--format=%(objectname)", "refs/heads/")
            first = refs.decode().split()
            return first[0] if first else None

    def resolve(self, rev: str) -> tuple[Epoch, str]:
        """Find the epoch holding ``rev`` and its full commit id; one clear error if none."""
        if rev.startswith("-"):
            raise ArchiveError(f"unknown revision: {rev}")
        for epoch in reversed(self.epochs):
            proc = subprocess.run(
                ["git", "--git-dir", str(epoch.path), "rev-parse", "--verify", "-q",
                 f"{rev}^{{commit}}"],
                capture_output=True, env=GIT_ENV, check=False,
            )
            if proc.returncode == 0:
                return epoch, proc.stdout.decode().strip()
        raise ArchiveError(f"unknown revision: {rev} (not a commit of any epoch of {self.path})")

    def commit_time(self, rev: str) -> int:
        """The commit time of ``rev`` (seconds since the epoch)."""
        epoch, commit = self.resolve(rev)
        return _clamp_time(git(epoch.path, "log", "-1", "--format=%ct", commit).strip())

    def check_order(self, start: str | None, end: str | None) -> None:
        """One clear error when ``start`` comes after ``end`` in the timeline (a later
        epoch, or a descendant), where git would quietly give an empty range."""
        if start is None or end is None:
            return
        (ep_a, a), (ep_b, b) = self.resolve(start), self.resolve(end)
        if a != b and (ep_a.number > ep_b.number
                       or (ep_a == ep_b and is_ancestor(ep_a.path, b, a))):
            raise ArchiveError(f"reversed range: {start} comes after {end} in the archive "
                               f"(did you mean {end}..{start}?)")

    def commits(self, start: str | None = None, end: str | None = None) -> Iterator[CommitEntry]:
        """Commits after ``start`` (exclusive) up to ``end`` (inclusive), oldest first,
        across epochs, like ``git log --reverse start..end`` over one timeline."""
        first = 0
        last = len(self.epochs) - 1
        start_id = end_id = None
        if start is not None:
            ep, start_id = self.resolve(start)
            first = self.epochs.index(ep)
        if end is not None:
            ep, end_id = self.resolve(end)
            last = self.epochs.index(ep)
        for i in range(first, last + 1):
            epoch = self.epochs[i]
            tip = end_id if i == last and end_id else self.head(epoch)
            if tip is None:
                continue
            spec = f"{start_id}..{tip}" if i == first and start_id else tip
            yield from self._log(epoch, spec)

    def first_commit(self) -> CommitEntry | None:
        """The archive's first commit (the root of its first non-empty epoch)."""
        for epoch in self.epochs:
            if self.head(epoch) is not None:
                return next(self._log(epoch, "--max-parents=0", "HEAD"), None)
        return None

    def last_commit(self) -> CommitEntry | None:
        """The archive's newest commit."""
        for epoch in reversed(self.epochs):
            if (head := self.head(epoch)) is not None:
                return next(self._log(epoch, "-1", head), None)
        return None

    def _log(self, epoch: Epoch, *spec: str) -> Iterator[CommitEntry]:
        """Stream ``git log --raw`` and pick the blob each commit adds."""
        proc = subprocess.Popen(
            ["git", "--git-dir", str(epoch.path), "log", "--reverse", "--raw", "--no-abbrev",
             "--diff-merges=first-parent",  # a merge that adds m shows it
             "--no-renames", "--format=%x00%H %ct", *spec],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=GIT_ENV,
        )
        assert proc.stdout is not None
        commit = ""
        ctime = 0
        blobs: list[str] = []
        note = "adds no message"
        seen = False
        for line in proc.stdout:
            if line.startswith(b"\x00"):
                if seen:
                    yield from _entries(commit, epoch.number, ctime, blobs, note)
                head = line[1:].split()
                commit, ctime = head[0].decode(), _clamp_time(head[1])
                blobs, note, seen = [], "adds no message", True
            elif line.startswith(b":"):
                meta, _, path = line.rstrip(b"\n").partition(b"\t")
                fields = meta.split()
                status, new = fields[4].decode(), fields[3].decode()
                name = path.decode("utf-8", "replace")
                if name == "m" or _V1_PATH_RE.match(name):
                    # T: a type change that makes m a file (it was a symlink, say)
                    is_file = status == "T" and fields[1].decode() in _FILE_MODES
                    if (status in ("A", "M") or is_file) and new != _ZERO:
                        blobs.append(new)
                    elif status == "D" and note == "adds no message":
                        note = "removes a message"
                elif name == "d" and status in ("A", "M"):
                    note = "removal record"  # public-inbox v2's record of a removed message
        if seen:
            yield from _entries(commit, epoch.number, ctime, blobs, note)
        err = proc.stderr.read() if proc.stderr else b""
        if proc.wait() != 0:
            msg = err.decode("utf-8", "replace").strip().splitlines()
            raise ArchiveError(f"git log failed in {epoch.path}: {msg[-1] if msg else 'error'}")


def _entries(commit: str, epoch: int, ctime: int, blobs: list[str],
             note: str) -> Iterator[CommitEntry]:
    """The entries of one commit: one per message it adds, or one saying why none."""
    if not blobs:
        yield CommitEntry(commit, epoch, ctime, None, note)
    for blob in blobs:
        yield CommitEntry(commit, epoch, ctime, blob)


def parse_range(spec: str) -> tuple[str | None, str | None]:
    """A git range as ``(from, to)``: ``A..B``, ``A..`` (to the newest), ``..B`` (from the
    first), or one revision ``B`` meaning ``..B`` as in ``git log B``."""
    if "..." in spec:
        raise ArchiveError(f"not a range: {spec} (use A..B; A...B has no meaning here)")
    start, dots, end = spec.partition("..")
    if not dots:
        start, end = "", spec
    if not start and not end:
        raise ArchiveError(f"not a range: {spec!r} (use A..B, A.. or ..B)")
    return start or None, end or None


def _clamp_time(value: bytes) -> int:
    """A commit time in 1970 … 9999: git accepts any number in a commit object, but a
    later stage stores it in SQLite and shows it as a date."""
    try:
        return min(max(int(value), 0), _MAX_TIME)
    except ValueError:
        return 0


def _repo_kind(repo: Path) -> str:
    """Tell a v1 repository (messages by path) from one epoch of a v2 inbox (file ``m``)."""
    try:
        names = git(repo, "ls-tree", "--name-only", "HEAD").decode().split()
    except ArchiveError:
        return "epoch"
    if "m" in names or "d" in names or not names:
        return "epoch"
    if all(len(n) == 2 for n in names):
        return "v1"
    raise ArchiveError(f"{repo} is a git repository but not a public-inbox archive")
