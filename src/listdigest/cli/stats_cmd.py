"""``listdigest stats``: a list's activity over years, months or weeks."""

from __future__ import annotations

import click

from listdigest.cli.digest_cmd import report, write_output
from listdigest.cli.index_cmd import refresh
from listdigest.digest import default_list_name, select
from listdigest.index import existing_path, open_index
from listdigest.render.json import render_stats_json
from listdigest.render.text import render_stats_text
from listdigest.sources.archive import Archive
from listdigest.stats.history import PERIODS, build_statistics


@click.command()
@click.argument("archive", type=click.Path(path_type=str))
@click.option("--by", type=click.Choice(PERIODS), default="year", show_default=True,
              help="Length of a period.")
@click.option("--from", "rev_from", metavar="REV", help="Start after this commit (exclusive).")
@click.option("--to", "rev_to", metavar="REV", help="End at this commit (inclusive).")
@click.option("--since", metavar="DATE", help="Messages dated at or after DATE (ISO 8601).")
@click.option("--until", metavar="DATE", help="Messages dated up to DATE (a bare date: its end).")
@click.option("--name", help="List name for the title (default: from List-Id).")
@click.option("--top", default=15, show_default=True, type=click.IntRange(min=1),
              help="Rows of each table.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("-o", "--output", metavar="FILE", help="Write here instead of standard output.")
@click.option("--db", metavar="PATH",
              help="Read through this index (default: the archive's index, if built).")
def stats(archive: str, by: str, rev_from: str | None, rev_to: str | None,
          since: str | None, until: str | None, name: str | None, top: int, fmt: str,
          output: str | None, db: str | None) -> None:
    """Messages, patches, series, replies, reviews and people of ARCHIVE per period, with
    the top domains, contributors and reviewers. Fast over years with an index
    (`listdigest index ARCHIVE`)."""
    arch = Archive.open(archive)
    ranges = {"rev_from": rev_from, "rev_to": rev_to, "since": since, "until": until}
    index_path = existing_path(arch, db)
    if index_path is None:
        sel = select(arch, None, **ranges)
    else:
        with open_index(arch, index_path) as idx:
            refresh(idx)
            sel = select(arch, idx, **ranges)
    report(sel.accounting)
    s = build_statistics(sel.messages, list_name=name or default_list_name(arch, sel.messages),
                         start=sel.start, end=sel.end, by=by, top=top)
    write_output(render_stats_json(s) if fmt == "json" else render_stats_text(s), output)
