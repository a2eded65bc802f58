"""``listdigest stats``: a list's activity over years, months or weeks."""

from __future__ import annotations

from pathlib import Path

import click

from listdigest.cli.digest_cmd import report, write_output
from listdigest.cli.index_cmd import current_index, scan_progress
from listdigest.cli.options import RANGE_HELP, envelope, mail_options, range_options, renderer
from listdigest.digest import apply_mailmap, check_inside, default_list_name, select
from listdigest.indexed_stats import indexed_statistics
from listdigest.sources.archive import Archive
from listdigest.sources.mailmap import Mailmap
from listdigest.stats.history import PERIODS, Statistics, build_statistics

#: The renderer of each --format, imported only when asked for (see options.renderer).
RENDERERS = {
    "text": "listdigest.render.text:render_stats_text",
    "json": "listdigest.render.json:render_stats_json",
    "markdown": "listdigest.render.markdown:render_stats_markdown",
    "html": "listdigest.render.html:render_stats_html",
    "atom": "listdigest.render.atom:render_stats_atom",
}

EXAMPLES = """\b
Examples:
  listdigest stats kvm --by month --since 2025-01-01 --until 2025-06-30
  listdigest stats kvm ..47d25fc1d --top 5        # up to a commit
  listdigest stats kvm --by week --since 3.months.ago --format json -o weeks.json

"""


@click.command(epilog=EXAMPLES + RANGE_HELP)
@range_options
@click.option("--by", type=click.Choice(PERIODS), default="year", show_default=True,
              help="Length of a period.")
@click.option("--mailmap", metavar="FILE",
              help="Merge each person's addresses as this .mailmap (git's format) says.")
@mail_options
def stats(archive: str, by: str, mailmap: str | None, rev_from: str | None,
          rev_to: str | None, since: str | None, until: str | None, name: str | None,
          top: int, fmt: str, output: str | None, db: str | None, mail_from: str | None,
          mail_to: tuple[str, ...], in_reply_to: tuple[str, ...], mail_html: bool) -> None:
    """Messages, patches, series, replies, reviews and people of ARCHIVE per period, with
    the top domains, contributors and reviewers. Fast over years with an index
    (`listdigest index ARCHIVE`)."""
    arch = Archive.open(archive)
    ranges = {"rev_from": rev_from, "rev_to": rev_to, "since": since, "until": until}
    with current_index(arch, db) as idx, scan_progress(arch, idx):
        counted = None
        if idx is not None and not mailmap:
            counted = indexed_statistics(arch, idx, **ranges, name=name, by=by, top=top)
        if counted is None:
            sel = select(arch, idx, shown=None, **ranges)
    if counted is not None:
        sel, s = counted
        check_inside(arch, sel)
        report(sel.accounting, s.list_name)
        _write(s, fmt, output, mail_from, mail_to, in_reply_to, mail_html)
        return
    if mailmap:
        sel.messages = apply_mailmap(arch, sel.messages, Mailmap(Path(mailmap)))
    check_inside(arch, sel)
    name = name or default_list_name(arch, sel.messages)
    report(sel.accounting, name)
    s = build_statistics(sel.messages, list_name=name,
                         start=sel.start, end=sel.end_label, by=by, top=top)
    _write(s, fmt, output, mail_from, mail_to, in_reply_to, mail_html)


def _write(s: Statistics, fmt: str, output: str | None, mail_from: str | None,
           mail_to: tuple[str, ...], in_reply_to: tuple[str, ...], mail_html: bool) -> None:
    """Render the statistics in ``fmt`` to ``output``."""
    if fmt == "email":
        from listdigest.render.email_message import as_text, stats_email

        text = as_text(stats_email(s, envelope(mail_from, mail_to, in_reply_to, mail_html)))
    else:
        text = renderer(RENDERERS[fmt])(s)
    write_output(text, output)

