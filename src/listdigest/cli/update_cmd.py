"""``listdigest update``: for each followed list, mirror, index, and publish what is new.

The position of the last published digest is kept in the list's index. It is
recorded only after every file of the new digest was written, so an interrupted
run loses nothing (the next run writes the same range again) and a repeated run
repeats nothing (it finds no new commit and writes no file).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from listdigest.cli.config import ListConfig, default_config_path, load_config
from listdigest.cli.digest_cmd import digest_range, render, write_output
from listdigest.cli.index_cmd import refresh
from listdigest.errors import ListdigestError
from listdigest.index import Index, open_index
from listdigest.sources import mirror as mirroring
from listdigest.sources.archive import Archive

FIRST_RUN_DAYS = 7
_SUFFIX = {"text": "txt", "json": "json"}


def position_key(cfg: ListConfig) -> str:
    """The state key under which a list's last published position is kept."""
    return f"update:{cfg.key}"


def fetch(cfg: ListConfig) -> None:
    """Mirror the list's URL into its archive folder, or fetch what is new."""
    if cfg.url is None:
        return
    if (cfg.archive / "git").is_dir():
        result = mirroring.update(cfg.archive)
        changed = sum(e.status != "unchanged" for e in result.epochs)
        click.echo(f"{cfg.key}: fetched {cfg.url} ({changed} epochs changed)", err=True)
    else:
        mirroring.mirror(cfg.url, cfg.archive)
        click.echo(f"{cfg.key}: mirrored {cfg.url} into {cfg.archive}", err=True)


def publish(cfg: ListConfig, archive: Archive, idx: Index, now: datetime) -> list[Path]:
    """Write the digest of everything after the recorded position; returns the files."""
    tip = _newest_commit(archive)
    saved = idx.get_state(position_key(cfg))
    if tip is None or (saved and json.loads(saved)["commit"] == tip):
        click.echo(f"{cfg.key}: no new messages", err=True)
        return []
    if saved:  # after the recorded commit, up to the tip
        start, end, since = _still_there(archive, json.loads(saved)), tip, None
    else:  # a first run: by date
        start = end = None
        since = cfg.since or (now - timedelta(days=FIRST_RUN_DAYS)).date().isoformat()
    d = digest_range(archive, idx, rev_from=start, rev_to=end, since=since, until=None,
                     name=cfg.name, top=cfg.top, show_all=False, check=False)
    d.link_base = cfg.link_base
    stamp = now.strftime("%Y-%m-%d")
    written = []
    for fmt in cfg.formats:
        path = cfg.output / f"{cfg.key}-{stamp}-{tip[:9]}.{_SUFFIX[fmt]}"
        write_output(render(d, fmt), str(path))
        written.append(path)
    # Only now, with every file in place, does the position move.
    tip_time = archive.commit_time(tip)
    idx.set_state(position_key(cfg), json.dumps({"commit": tip, "time": tip_time}))
    return written


def _newest_commit(archive: Archive) -> str | None:
    for epoch in reversed(archive.epochs):
        if (head := archive.head(epoch)) is not None:
            return head
    return None


def _still_there(archive: Archive, saved: dict[str, object]) -> str | None:
    """The recorded commit, or after a history rewrite that removed it, the newest
    commit no later than it (by commit time): nothing published is published again."""
    commit = str(saved["commit"])
    try:
        archive.resolve(commit)
        return commit
    except ListdigestError:
        pass
    before = None
    for entry in archive.commits():
        if entry.time > int(str(saved["time"])):
            break
        before = entry.commit
    return before


def update_list(cfg: ListConfig, now: datetime) -> list[Path]:
    """Mirror, index and publish one list."""
    fetch(cfg)
    archive = Archive.open(cfg.archive)
    with open_index(archive, cfg.db) as idx:
        result = refresh(idx, f"indexing {cfg.key}")
        if result.added:
            click.echo(f"{cfg.key}: indexed {result.added} new commits", err=True)
        return publish(cfg, archive, idx, now)


@click.command()
@click.argument("names", nargs=-1, metavar="[LIST]...")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help=f"The lists to follow (default: {default_config_path()}).")
@click.option("--db", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path),
              help="The index to use, instead of the config's (with one LIST only).")
def update(names: tuple[str, ...], config_path: Path | None, db: Path | None) -> None:
    """Write a digest of everything new on each followed list since the last update.

    Lists are read from a TOML file (see the README); give LIST names to update
    only those. Each list is mirrored (when it has a url), indexed, and digested
    from the position of its previous update; a first run covers the last week.
    """
    lists = load_config(config_path or default_config_path())
    if unknown := sorted(set(names) - {c.key for c in lists}):
        raise ListdigestError(f"no list {unknown[0]!r} in the config")
    if db is not None:
        if len(names) != 1:
            raise ListdigestError("--db needs exactly one LIST (an index is per archive)")
        lists = [replace(c, db=db) for c in lists]
    now = datetime.now(UTC)
    failed = 0
    for cfg in lists:
        if names and cfg.key not in names:
            continue
        try:
            for path in update_list(cfg, now):
                click.echo(f"{cfg.key}: wrote {path}", err=True)
        except ListdigestError as exc:  # one list's trouble does not stop the others
            click.echo(f"listdigest: error: {cfg.key}: {exc}", err=True)
            failed += 1
    if failed:
        raise click.exceptions.Exit(1)

