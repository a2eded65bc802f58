"""Find the commits of a project tree that apply patches of the list, by Message-ID.

Maintainers' tools (b4, ``git am`` hooks) record where a commit came from in its
message: ``Link: https://lore.kernel.org/r/<msgid>`` (or any lore URL with the
Message-ID as a path segment, ``https://patch.msgid.link/<msgid>``,
``https://msgid.link/<msgid>``) or ``Message-ID: <msgid>``. A commit that names a
patch's Message-ID so is that patch, applied: it is definitive where a reply saying
"applied" is only a statement.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

from listdigest.errors import ListdigestError
from listdigest.sources.archive import GIT_ENV

#: Trailer lines that can name a Message-ID; git's own --grep keeps only commits
#: with one, so the rest of a kernel's history is never formatted.
_GREP = r"^(link|message-id):"
_TRAILER_RE = re.compile(rb"^(?:link|message-id):[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_CHUNK = 1 << 16


def applied_commits(tree: Path, message_ids: Iterable[str]) -> dict[str, str]:
    """Message-ID → id of the newest commit (of all refs of ``tree``) whose message
    has a ``Link:`` or ``Message-ID:`` trailer naming it. Message-IDs named by no
    commit are left out. One ``git log`` pass, read as it streams."""
    wanted = {mid.strip().strip("<>") for mid in message_ids}
    wanted.discard("")
    _check_repository(tree)
    found: dict[str, str] = {}
    if not wanted:
        return found
    for commit, body in _commits(tree):
        for m in _TRAILER_RE.finditer(body):
            for mid in _named_ids(m.group(1).decode("utf-8", "replace")):
                if mid in wanted and mid not in found:
                    found[mid] = commit
    return found


def _check_repository(tree: Path) -> None:
    """One clear line when ``tree`` is no git repository (or clone of one)."""
    if tree.is_dir():
        proc = subprocess.run(["git", "-C", str(tree), "rev-parse", "--git-dir"],
                              capture_output=True, env=GIT_ENV, check=False)
        if proc.returncode == 0:
            return
    raise ListdigestError(f"--tree {tree}: not a git repository")


def _named_ids(value: str) -> Iterator[str]:
    """The Message-IDs a trailer value may name: ``<id>``, or each path segment of a
    URL (``https://lore.kernel.org/kvmarm/<id>/T/#u``), %-escapes undone."""
    value = value.strip("<>")
    if "://" not in value:
        yield value
        return
    path = value.split("://", 1)[1].partition("/")[2].split("#", 1)[0].split("?", 1)[0]
    for segment in path.split("/"):
        if "@" in segment or "%40" in segment:
            yield unquote(segment)


def _commits(tree: Path) -> Iterator[tuple[str, bytes]]:
    """(commit id, message) of every commit with a candidate trailer, newest first."""
    proc = subprocess.Popen(
        ["git", "-C", str(tree), "log", "--all", "-z", "--format=%H%n%B",
         "--regexp-ignore-case", "--extended-regexp", f"--grep={_GREP}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=GIT_ENV,
    )
    out = proc.stdout
    assert out is not None
    parts: list[bytes] = []  # the record being read, in pieces (a huge message stays linear)
    try:
        for chunk in iter(lambda: out.read(_CHUNK), b""):
            *records, rest = chunk.split(b"\0")
            if records:
                records[0] = b"".join(parts) + records[0]
                parts = []
                yield from (_record(r) for r in records)
            parts.append(rest)
    finally:
        out.close()
        err = proc.stderr.read() if proc.stderr else b""
        code = proc.wait()
    if (last := b"".join(parts)).strip():
        yield _record(last)
    if code != 0:
        message = err.decode(errors="replace").strip().splitlines()
        raise ListdigestError(f"--tree {tree}: git log failed: {message[-1] if message else code}")


def _record(record: bytes) -> tuple[str, bytes]:
    commit, _, body = record.partition(b"\n")
    return commit.decode().strip(), body
