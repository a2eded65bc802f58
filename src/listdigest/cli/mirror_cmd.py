"""``listdigest mirror``: clone a lore-style archive, or bring a clone up to date."""

from __future__ import annotations

from pathlib import Path

import click

from listdigest.cli.index_cmd import index_archive
from listdigest.cli.say import on_terminal, out
from listdigest.sources.archive import Archive
from listdigest.sources.mirror import count_commits
from listdigest.sources.mirror import mirror as mirror_archive
from listdigest.sources.mirror import update as update_mirror


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(empty)"


def _messages(n: int) -> str:
    return f"{n} message{'' if n == 1 else 's'}"


@click.command("mirror", epilog="""\b
Examples:
  listdigest mirror https://lore.kernel.org/kvm kvm
  listdigest mirror --update kvm --db ~/kvm.sqlite
""")
@click.option("--update", "refresh", is_flag=True,
              help="Fetch new messages and new epochs into the existing mirror DIR.")
@click.argument("target", metavar="URL|DIR")
@click.argument("directory", metavar="[DIR]", required=False)
@click.option("--db", metavar="PATH",
              help="Also bring the index at PATH up to date (default: none).")
def mirror(refresh: bool, target: str, directory: str | None, db: str | None) -> None:
    """Clone the public-inbox archive at URL into DIR, or update the mirror in DIR.

    URL is lore's (epochs at URL/N), a grokmirror server's (URL/git/N.git, named in its
    manifest.js.gz) or a local inbox folder. A failed clone leaves nothing behind. An
    update prints each epoch's new commits as a range (A..B) that digest takes.
    """
    progress = on_terminal()
    if refresh:
        if directory is not None:
            raise click.UsageError("--update takes only DIR (the URL is kept in the mirror)")
        dest = Path(target)
        result = update_mirror(dest, progress=progress)
        for change in result.epochs:
            if change.status == "updated":  # a range to paste: listdigest digest DIR A..B
                tips = f"{_short(change.old)}..{_short(change.new)}"
                tips += " (forced)" if change.forced else ""
            else:
                tips = _short(change.new)
            out(f"epoch {change.number}: {change.status} {tips}")
        counts = [f"{n} {status}" for status in ("cloned", "updated", "unchanged")
                  if (n := sum(c.status == status for c in result.epochs))]
        out(f"updated {dest} from {result.url}: {', '.join(counts)}; "
            f"{_messages(result.arrived)} arrived")
        if db:
            index_archive(Archive.open(dest), db)
        return
    if directory is None:
        raise click.UsageError("expected URL DIR, or --update DIR")
    dest = Path(directory)
    paths = mirror_archive(target, dest, progress=progress)
    archive = Archive.open(dest)
    for epoch in archive.epochs:
        out(f"epoch {epoch.number}: cloned {_short(archive.head(epoch))}")
    epochs = f"{len(paths)} epoch" + ("" if len(paths) == 1 else "s")
    arrived = sum(count_commits(e.path, None, archive.head(e)) for e in archive.epochs)
    out(f"mirrored {epochs} of {target.rstrip('/')} into {dest}: {_messages(arrived)}")
    if db:
        index_archive(archive, db)

