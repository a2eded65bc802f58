"""Read a range of commits into parsed messages: each commit's message, or why it has
none. The git path of every command and the index build both read through here.

Parsing costs more than git's read of the same blobs, so a long range is cut into
batches that worker processes read (each with its own ``git cat-file``) while this
process takes the results in order: git and Python then run on every core.
"""

from __future__ import annotations

import multiprocessing
import operator
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any, TypeVar

from listdigest.errors import WorkerError
from listdigest.mail.message import Message, message_date, parse_message
from listdigest.mail.subject import Subject
from listdigest.sources.archive import Archive, CommitEntry
from listdigest.sources.blobs import read_blobs

#: Commits per batch a worker reads: large enough to pay for a ``cat-file`` process,
#: small enough that two batches per worker in flight stay a few MB.
BATCH_SIZE = 2000

T = TypeVar("T")
R = TypeVar("R")


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
    section: str | None = None
    """The commit message section, kept by a scan asked to (``shown``) for the messages
    a digest shows, so that it need not read them from git again."""


@dataclass(frozen=True, slots=True)
class Window:
    """Dates ``lo <= ts <= hi`` (seconds since the epoch): a ``keep`` filter that can be
    sent to a worker process, as a closure cannot."""

    lo: float
    hi: float

    def __call__(self, ts: int) -> bool:
        return self.lo <= ts <= self.hi


def first_postings(msg: Message) -> bool:
    """Cover letters and patches numbered 1 (or not numbered): what a digest shows of
    each series (a series whose lowest patch is another number has it read again)."""
    if msg.kind == "cover":
        return True
    counter = msg.tags.counter
    return msg.kind == "patch" and (counter is None or counter <= 1)


def patch_emails(msg: Message) -> bool:
    """Every patch email: what ``digest --all`` shows."""
    return msg.is_patch_email


def scan(archive: Archive, entries: Iterable[CommitEntry],
         keep: Callable[[int], bool] | None = None,
         shown: Callable[[Message], bool] | None = None) -> Iterator[Scanned]:
    """Parse the message each commit adds, reading blobs of one epoch per git process.
    A message whose date ``keep`` rejects is left out unparsed (see ``collect``); the
    messages ``shown`` accepts keep their section."""
    batch: list[CommitEntry] = []
    for entry in entries:
        if batch and entry.epoch != batch[-1].epoch:
            yield from _scan_epoch(archive, batch, keep, shown)
            batch = []
        batch.append(entry)
    if batch:
        yield from _scan_epoch(archive, batch, keep, shown)


def scan_parallel(archive: Archive, entries: Iterable[CommitEntry],
                  keep: Window | None = None, *,
                  shown: Callable[[Message], bool] | None = None,
                  batch_size: int = BATCH_SIZE) -> Iterator[Scanned]:
    """What ``scan`` gives, in the same order, parsed by worker processes when the range
    is longer than one batch (``shown``: a module-level function, sent to them)."""
    chunks = batched(entries, batch_size)
    sent: deque[list[CommitEntry]] = deque()  # the batches in flight, in order

    def batches() -> Iterator[_Batch]:
        for chunk in chunks:
            sent.append(chunk)
            yield _Batch(archive, chunk, keep, shown)

    for packed in ordered_map(_scan_batch, batches()):
        for entry, item in zip(sent.popleft(), packed, strict=True):
            if item is not None:
                yield _unpack(entry, item)


@dataclass(frozen=True, slots=True)
class _Batch:
    archive: Archive
    entries: list[CommitEntry]
    keep: Window | None
    shown: Callable[[Message], bool] | None


#: One scanned commit as a worker sends it: the message's fields after the four its
#: commit gives (or None), its subject's fields, reason, paths and section.
_Packed = tuple[tuple[Any, ...] | None, tuple[Any, ...] | None, str, tuple[str, ...], str | None]


def _scan_batch(batch: _Batch) -> list[_Packed | None]:
    """A batch's results as plain tuples, one per commit (None: left out by ``keep``):
    pickled and unpickled several times faster than the records, and without the
    commit's own fields, which the parent has already."""
    out: list[_Packed | None] = []
    scanned = scan(batch.archive, batch.entries, batch.keep, batch.shown)
    item = next(scanned, None)
    for entry in batch.entries:
        if item is None or item.entry is not entry:
            out.append(None)
            continue
        msg = item.message
        if msg is None:
            out.append((None, None, item.reason, item.paths, item.section))
        else:
            out.append((_MESSAGE_OWN(msg), _SUBJECT_OWN(msg.tags), item.reason, item.paths,
                        item.section))
        item = next(scanned, None)
    return out


def _unpack(entry: CommitEntry, item: _Packed) -> Scanned:
    """The Scanned that ``scan`` gave for ``entry``, rebuilt from what a worker sent."""
    own, tags, reason, paths, section = item
    if own is None or tags is None:
        return Scanned(entry, None, reason, paths, section)
    values: tuple[Any, ...] = (entry.commit, entry.epoch, entry.blob, entry.time, *own,
                               Subject(*tags))
    msg = Message(*values)
    return Scanned(entry, msg, reason, paths, section)


#: The fields of a Message a worker sends: all but the commit's four (commit, epoch,
#: blob, commit_time, which come first) and the parsed subject (which comes last and is
#: sent as its own fields).
_MESSAGE_OWN = operator.attrgetter(*list(Message.__dataclass_fields__)[4:-1])
_SUBJECT_OWN = operator.attrgetter(*Subject.__dataclass_fields__)


def batched(entries: Iterable[CommitEntry], size: int) -> Iterator[list[CommitEntry]]:
    """Consecutive commits in lists of at most ``size``, never two epochs in one."""
    it = iter(entries)
    held: CommitEntry | None = None
    while True:
        chunk = [held] if held is not None else []
        held = None
        for entry in islice(it, size - len(chunk)):
            if chunk and entry.epoch != chunk[-1].epoch:
                held = entry
                break
            chunk.append(entry)
        if not chunk:
            return
        yield chunk


def workers() -> int:
    """Worker processes to use: one per core this process may run on, at most four."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, 4)


def ordered_map(fn: Callable[[T], R], tasks: Iterable[T], *,
                setup: Callable[[], None] | None = None) -> Generator[R, None, None]:
    """``map(fn, tasks)`` run by forked worker processes, results in task order.

    At most two tasks per worker are in flight, so memory stays bounded however many
    tasks there are and however slowly the caller consumes (``Pool.imap`` would queue
    every result). A single task, or a single core, is run here without workers.
    ``setup`` runs first in each worker."""
    it = iter(tasks)
    head = list(islice(it, 2))
    n = workers()
    if len(head) < 2 or n < 2:
        yield from map(fn, chain(head, it))
        return
    # concurrent.futures, not multiprocessing.Pool: when a worker dies (killed, out of
    # memory) the latter waits for its lost result for ever; this one reports it.
    pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_init, initargs=(os.getpid(), setup))
    pending: deque[Future[R]] = deque()
    try:
        for task in chain(head, it):
            pending.append(pool.submit(fn, task))
            if len(pending) >= 2 * n:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise WorkerError("a worker process died (killed, or out of memory); run again "
                          "(an index build resumes where it stopped)") from None
    finally:  # also when the caller fails or stops early: queued tasks are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_init(parent: int, setup: Callable[[], None] | None) -> None:
    """End this worker when the parent is gone (killed): an orphaned pool worker would
    otherwise wait for work forever. Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a worker just ends (no SystemExit)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if setup is not None:
        setup()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _scan_epoch(archive: Archive, batch: list[CommitEntry], keep: Callable[[int], bool] | None,
                shown: Callable[[Message], bool] | None) -> Iterator[Scanned]:
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
            section = body.section if shown is not None and shown(msg) else None
        except Exception as exc:  # a parser bug must cost one message, not the run
            yield Scanned(entry, None, f"unparseable message ({type(exc).__name__})")
            continue
        yield Scanned(entry, msg, paths=paths, section=section)
