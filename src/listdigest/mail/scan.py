"""Read a range of commits into parsed messages: each commit's message, or why it has
none. The git path of every command and the index build both read through here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from listdigest.mail.message import Message, message_date, parse_message
from listdigest.sources.archive import Archive, CommitEntry
from listdigest.sources.blobs import read_blobs


@dataclass(slots=True)
class Scanned:
    """One commit of a range, read from git or the index: its message, or why there is
    none."""

    entry: CommitEntry
    message: Message | None
    reason: str = ""
    paths: tuple[str, ...] = ()
    """Files the message's diff touches (read by git's path; the index keeps them for
    search, a digest does not show them)."""


def scan(archive: Archive, entries: Iterable[CommitEntry],
         keep: Callable[[int], bool] | None = None) -> Iterator[Scanned]:
    """Parse the message each commit adds, reading blobs of one epoch per git process.
    A message whose date ``keep`` rejects is left out unparsed (see ``collect``)."""
    batch: list[CommitEntry] = []
    for entry in entries:
        if batch and entry.epoch != batch[-1].epoch:
            yield from _scan_epoch(archive, batch, keep)
            batch = []
        batch.append(entry)
    if batch:
        yield from _scan_epoch(archive, batch, keep)


def _scan_epoch(archive: Archive, batch: list[CommitEntry],
                keep: Callable[[int], bool] | None) -> Iterator[Scanned]:
    repo = next(e.path for e in archive.epochs if e.number == batch[0].epoch)
    blobs = read_blobs(repo, [e.blob for e in batch if e.blob])
    for entry in batch:
        if not entry.blob:
            yield Scanned(entry, None, entry.note)
            continue
        _, raw = next(blobs)
        if raw is None:
            yield Scanned(entry, None, "message blob missing")
            continue
        if keep is not None and not keep(message_date(raw, entry.time)):
            continue
        try:
            msg, body = parse_message(raw, commit=entry.commit, epoch=entry.epoch,
                                      blob=entry.blob, commit_time=entry.time)
            paths = body.paths if msg.is_patch_email else ()
        except Exception as exc:  # a parser bug must cost one message, not the run
            yield Scanned(entry, None, f"unparseable message ({type(exc).__name__})")
            continue
        yield Scanned(entry, msg, paths=paths)
