"""``listdigest index``: build or bring up to date the SQLite index of an archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from listdigest.cli.say import detail, note, on_terminal
from listdigest.index import (
    Index,
    IndexBusy,
    UpdateResult,
    default_path,
    existing_path,
    open_index,
    open_snapshot,
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
    """Bring an open index up to date, with a progress bar on a terminal."""
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


@click.command("index", epilog="""\b
Examples:
  listdigest index kvm                  # first run reads everything, later runs what is new
  listdigest index kvm --db ~/kvm.sqlite
  listdigest digest kvm --since 2.weeks.ago   # then answered from the index
""")
@click.argument("archive", type=click.Path(path_type=str))
@click.option("--db", metavar="PATH",
              help="Index file (default: one per archive under the user data folder).")
def index(archive: str, db: str | None) -> None:
    """Index ARCHIVE in SQLite, or bring its index up to date (only new commits are read;
    a rewritten epoch is noticed and re-read)."""
    index_archive(Archive.open(archive), db)

