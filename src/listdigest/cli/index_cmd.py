"""``listdigest index``: build or bring up to date the SQLite index of an archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from listdigest.cli.say import detail, note, on_terminal, warn
from listdigest.digest import SCAN_PROGRESS
from listdigest.index import (
    Index,
    IndexBusy,
    UpdateResult,
    default_path,
    existing_path,
    kept_indexes,
    open_index,
    open_snapshot,
    prune,
    update_index,
)
from listdigest.sources.archive import Archive


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a rich bar on a terminal's stderr;
    None (nothing drawn, rich not even loaded) when stderr is not a terminal, as under
    cron."""
    if not on_terminal():
        yield None
        return
    from listdigest.cli.progress import terminal_bar

    with terminal_bar(label) as advance:
        yield advance


#: A git scan of this many commits is long enough to suggest an index.
HINT_AT = 2000


@contextmanager
def scan_progress(archive: Archive, idx: Index | None) -> Iterator[None]:
    """For a range read from git (no index) on a terminal: a bar, then, once the scan
    covered HINT_AT commits or more, one line saying that an index makes it fast."""
    if idx is not None or not on_terminal():
        yield
        return
    seen = 0

    def count(done: int, total: int) -> None:
        nonlocal seen
        seen = total
        if advance is not None:
            advance(done, total)

    with progress_bar("reading git") as advance:
        token = SCAN_PROGRESS.set(count)
        try:
            yield
        finally:
            SCAN_PROGRESS.reset(token)
    if seen >= HINT_AT:
        note(f"hint: `listdigest index {archive.path}` keeps an index of the list; "
             "digest and stats then read it instead of git, in a fraction of the time")


def describe(result: UpdateResult) -> list[str]:
    """What an update did, as lines for stderr."""
    lines = [f"epoch {e}: removed from the archive, its rows dropped"
             for e in result.removed_epochs]
    lines += [f"epoch {e}: rewritten, re-read from position {pos}"
              for e, pos in result.rewritten]
    if result.recovered:
        lines.append(f"{result.recovered} messages git could not give before are now indexed")
    lines.append(f"indexed {result.added} new commit{'' if result.added == 1 else 's'}; "
                 f"{result.total} in the index")
    return lines


def refresh(idx: Index, label: str = "indexing") -> UpdateResult:
    """Bring an open index up to date, with a progress bar on a terminal; one line first
    when its rows were made by other code (another version's schema, parser or series
    grouping) and it is read again whole."""
    if idx.rebuilt:
        note(f"index {idx.path} was made by another version of listdigest: "
             "rebuilding it from the archive")
    with progress_bar(label) as progress:
        return update_index(idx, progress=progress)


@contextmanager
def current_index(archive: Archive, db: str | None, *,
                  create: bool = False) -> Iterator[Index | None]:
    """The archive's index at ``db`` (or the default path), open, locked and brought up
    to date; None when there is none and ``create`` is false (read from git then).
    While another run writes it, a read-only snapshot of what it has committed, which
    reads the rest from git: the same answer, without waiting."""
    path = existing_path(archive, db)
    if path is None and create:
        path = Path(db) if db else default_path(archive)
    if path is None:
        yield None
        return
    with ExitStack() as stack:
        try:
            idx = stack.enter_context(open_index(archive, path))
        except IndexBusy as busy:  # a writer at work: never wait, never refuse a reader
            detail(f"{busy}: reading what it has committed, and git for the rest")
            snapshot = stack.enter_context(open_snapshot(archive, path))
            yield snapshot
            return
        refresh(idx)
        yield idx


def index_archive(archive: Archive, db: str | None) -> None:
    """Build or update the index of ``archive`` and say what was done on stderr."""
    with open_index(archive, db) as idx:
        result = refresh(idx)
        for line in [*describe(result), f"index: {idx.path}"]:
            note(line)


def list_indexes() -> None:
    """One line per index of the default folder: list, archive, size, last update."""
    kept = kept_indexes()
    if not kept:
        note("no index in the default folder")
        return
    rows = [(k.name, k.archive + (" (gone)" if k.gone else ""), f"{k.size / 1e6:.1f} MB",
             datetime.fromtimestamp(k.updated, UTC).strftime("%Y-%m-%d %H:%M UTC"),
             str(k.path)) for k in kept]
    header = ("list", "archive", "size", "last update", "file")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False))
                   + "  " + row[4])


def prune_indexes() -> None:
    """Remove the indexes of the default folder whose archive is gone."""
    removed = 0
    for kept in kept_indexes():
        if not kept.gone:
            continue
        if prune(kept):
            removed += 1
            note(f"removed {kept.path} (its archive {kept.archive or '?'} is gone)")
        else:
            warn(f"kept {kept.path}: another listdigest run is using it")
    note(f"pruned {removed} index{'' if removed == 1 else 'es'}")


@click.command("index", epilog="""\b
Examples:
  listdigest index kvm                  # first run reads everything, later runs what is new
  listdigest index kvm --db ~/kvm.sqlite
  listdigest digest kvm --since 2.weeks.ago   # then answered from the index
  listdigest index --list               # the indexes kept, with size and last update
  listdigest index --prune              # remove those whose archive is gone
""")
@click.argument("archive", type=click.Path(path_type=str), required=False)
@click.option("--db", metavar="PATH",
              help="Index file (default: one per archive under the user data folder).")
@click.option("--list", "show", is_flag=True,
              help="List the indexes of the default folder (list, archive, size, last update).")
@click.option("--prune", "remove", is_flag=True,
              help="Remove the indexes of the default folder whose archive is gone.")
def index(archive: str | None, db: str | None, show: bool, remove: bool) -> None:
    """Index ARCHIVE in SQLite, or bring its index up to date (only new commits are read;
    a rewritten epoch is noticed and re-read)."""
    if show or remove:
        if archive or db:
            raise click.UsageError("--list and --prune take no ARCHIVE or --db")
        if remove:
            prune_indexes()
        if show:
            list_indexes()
        return
    if archive is None:
        raise click.UsageError("expected ARCHIVE (or --list, --prune)")
    index_archive(Archive.open(archive), db)

