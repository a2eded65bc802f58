"""Bring an index up to date with its archive: read only what is new, notice rewrites.

Each epoch's row in ``epochs`` holds the newest indexed commit (its tip). When that
tip is an ancestor of the epoch's HEAD, only ``tip..HEAD`` is read. Otherwise the
epoch was rewritten (lore force-pushes to purge spam): the stored commit sequence
is compared with ``git rev-list --reverse HEAD``, rows after the first difference
are deleted and the rest is read again. Rows and the tip are written in one
transaction per batch, so a build killed at any moment resumes where it stopped
and ends with the rows a fresh build gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from listdigest.index.db import (
    Index,
    drop_inherited_locks,
    end_bulk,
    loading,
    start_bulk,
    transaction,
)
from listdigest.index.grouping import assign, place, regroup
from listdigest.index.rows import INSERT, REPLACE, row_of
from listdigest.mail.scan import ordered_map, scan
from listdigest.sources.archive import Archive, CommitEntry, Epoch, git, is_ancestor

BATCH_SIZE = 2000
#: Batch = (archive of one epoch, its commits, position of the first one).
_Batch = tuple[Archive, list[CommitEntry], int]
#: Rows of a batch = (epoch, its last commit, epoch count after it, rows).
_Rows = tuple[int, str, int, list[tuple]]  # type: ignore[type-arg]


@dataclass(slots=True)
class Plan:
    """What one epoch needs: read the commits after ``tip`` (all when None) up to
    ``head``, ``new`` of them, starting at position ``count``. Reading up to the head
    that was compared, not to whatever HEAD is by then, keeps a rewrite that lands
    meanwhile for the next update to notice."""

    epoch: Epoch
    tip: str | None
    head: str | None
    count: int
    new: int


_NOWHERE = 1 << 62


@dataclass(slots=True)
class UpdateResult:
    """What an update did."""

    added: int = 0
    rewritten: list[tuple[int, int]] = field(default_factory=list)
    """(epoch, position of the first commit that differed) per rewritten epoch."""
    removed_epochs: list[int] = field(default_factory=list)
    recovered: int = 0
    """Commits whose message git could not give before and now does."""
    total: int = 0
    """Rows in the index afterwards."""
    regroup_from: int = _NOWHERE
    """The first place whose rows were grouped into series again (``_NOWHERE``: none):
    rows there changed under later ones."""


def update_index(index: Index, *, batch_size: int = BATCH_SIZE,
                 progress: Callable[[int, int], None] | None = None) -> UpdateResult:
    """Index the commits the archive gained (and re-read rewritten ones);
    ``progress(done, total)`` is called after each stored batch."""
    db, result = index.db, UpdateResult()
    numbers = [e.number for e in index.archive.epochs]
    for (gone,) in db.execute("SELECT epoch FROM epochs").fetchall():
        if gone not in numbers:
            with transaction(db):
                db.execute("DELETE FROM messages WHERE epoch = ?", (gone,))
                db.execute("DELETE FROM epochs WHERE epoch = ?", (gone,))
            result.removed_epochs.append(gone)
            result.regroup_from = min(result.regroup_from, place(gone, 0))
    epochs = index.archive.epochs
    # One git process per epoch, all at once: run one after another they cost an LKML
    # index's 18 epochs a quarter of a second before anything is read.
    with ThreadPoolExecutor(max_workers=max(1, len(epochs))) as pool:
        heads = list(pool.map(index.archive.head, epochs))
    plans = [_plan(index, epoch, head, result) for epoch, head in zip(epochs, heads,
                                                                        strict=True)]
    _reread_unread(index, result)
    todo = sum(p.new for p in plans)
    last = max((p.epoch.number for p in plans if p.count), default=-1)
    for p in plans:  # rows added below rows already there: those are grouped again
        if p.new and p.epoch.number < last:
            result.regroup_from = min(result.regroup_from, place(p.epoch.number, p.count))
    # An empty index is loaded without its indexes and triggers, made at the end.
    bulk = loading(db)
    if todo and not bulk and db.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is None:
        start_bulk(db)
        bulk = True
    if todo:
        batches = _batches(index.archive, plans, batch_size)
        with _read_all(batches, parallel=todo > batch_size) as read:
            for epoch, tip, count, rows in read:
                with transaction(db):
                    db.executemany(INSERT, assign(db, rows))
                    db.execute("INSERT OR REPLACE INTO epochs (epoch, tip, count) "
                               "VALUES (?, ?, ?)", (epoch, tip, count))
                result.added += len(rows)
                if progress:
                    progress(result.added, todo)
    if result.regroup_from < _NOWHERE:
        with transaction(db):
            regroup(db, result.regroup_from, batch_size)
    if bulk:
        end_bulk(db)
    if todo or bulk or result.regroup_from < _NOWHERE:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # The epochs' counts, not count(*): that would read an index of every row.
    result.total = db.execute("SELECT coalesce(sum(count), 0) FROM epochs").fetchone()[0]
    return result


def _plan(index: Index, epoch: Epoch, head: str | None, result: UpdateResult) -> Plan:
    """Compare an epoch's indexed tip with its HEAD; delete rows a rewrite replaced."""
    db = index.db
    row = db.execute("SELECT tip, count FROM epochs WHERE epoch = ?", (epoch.number,))
    tip, count = row.fetchone() or (None, 0)
    if tip == head:
        return Plan(epoch, tip, head, count, 0)
    if tip is not None and head is not None and is_ancestor(epoch.path, tip, head):
        new = int(git(epoch.path, "rev-list", "--count", f"{tip}..{head}"))
        return Plan(epoch, tip, head, count, new)
    ids = git(epoch.path, "rev-list", "--reverse", head).decode().split() if head else []
    if tip is None:
        return Plan(epoch, None, head, 0, len(ids))
    stored = db.execute("SELECT commit_id FROM messages WHERE epoch = ? ORDER BY pos",
                        (epoch.number,))
    # Rows of one commit are consecutive (a v1 commit may add several messages): the
    # commits that agree are counted apart from the rows that hold them.
    same = commits = 0
    for (commit,) in stored:
        if commits and commit == ids[commits - 1]:
            same += 1
            continue
        if commits >= len(ids) or commit != ids[commits]:
            break
        same += 1
        commits += 1
    tip = ids[commits - 1] if commits else None
    with transaction(db):
        db.execute("DELETE FROM messages WHERE epoch = ? AND pos >= ?", (epoch.number, same))
        db.execute("INSERT OR REPLACE INTO epochs (epoch, tip, count) VALUES (?, ?, ?)",
                   (epoch.number, tip, same))
    result.rewritten.append((epoch.number, same))
    result.regroup_from = min(result.regroup_from, place(epoch.number, same))
    return Plan(epoch, tip, head, same, len(ids) - same)


def _reread_unread(index: Index, result: UpdateResult) -> None:
    """Read again the commits whose blob could not be read (a partial clone lacks large
    blobs until fetched): the git path would read them now, so the index must too."""
    db = index.db
    # Sorted here, not by SQL: with ORDER BY, SQLite walks the primary key (every row)
    # rather than the small partial index ``messages_unread``.
    unread = sorted(db.execute("SELECT epoch, pos, commit_id, commit_time, blob FROM "
                               "messages WHERE blob IS NOT NULL AND reason != ''"))
    by_epoch: dict[int, list[tuple[int, CommitEntry]]] = {}
    for epoch, pos, commit, ctime, blob in unread:
        by_epoch.setdefault(epoch, []).append((pos, CommitEntry(commit, epoch, ctime, blob)))
    for epoch in index.archive.epochs:
        if found := by_epoch.get(epoch.number):
            one = Archive(index.archive.path, "epoch", (epoch,))
            items = list(scan(one, [entry for _, entry in found]))
            with transaction(db):
                db.executemany(REPLACE, [row_of(pos, item) for (pos, _), item
                                         in zip(found, items, strict=True)])
            read = [pos for (pos, _), item in zip(found, items, strict=True) if item.message]
            result.recovered += len(read)
            if read:
                result.regroup_from = min(result.regroup_from, place(epoch.number, read[0]))


def _batches(archive: Archive, plans: list[Plan], size: int) -> Iterator[_Batch]:
    """The new commits of each epoch in batches (a batch never spans two epochs)."""
    for plan in plans:
        if not plan.new:
            continue
        one = Archive(archive.path, "epoch", (plan.epoch,))
        entries = one.commits(plan.tip, plan.head)
        pos = plan.count
        while chunk := list(islice(entries, size)):
            yield one, chunk, pos
            pos += len(chunk)


def _read(batch: _Batch) -> _Rows:
    """Parse one batch into rows, with the epoch state to store along with them."""
    archive, entries, pos = batch
    rows = [row_of(pos + i, item) for i, item in enumerate(scan(archive, entries))]
    return entries[0].epoch, entries[-1].commit, pos + len(entries), rows


@contextmanager
def _read_all(batches: Iterable[_Batch], *, parallel: bool) -> Iterator[Iterator[_Rows]]:
    """Rows of each batch in order; read by worker processes when there is enough to
    share (git decompresses and Python parses on every core while this one writes).
    A worker lets go of the parent's index lock at once, so a killed build can be run
    again straight away."""
    if not parallel:
        yield map(_read, batches)
        return
    rows = ordered_map(_read, batches, setup=drop_inherited_locks)
    try:
        yield rows
    finally:
        rows.close()
