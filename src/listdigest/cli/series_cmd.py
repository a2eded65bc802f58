"""``listdigest series``: the life of one series, every version oldest first."""

from __future__ import annotations

from pathlib import Path

import click

from listdigest.cli.digest_cmd import check_link_base, write_output
from listdigest.cli.index_cmd import current_index
from listdigest.cli.options import FORMATS, envelope, mail_options, renderer
from listdigest.life import series_life
from listdigest.sources.archive import Archive

#: The renderer of each --format, imported only when asked for (see options.renderer).
RENDERERS = {
    "text": "listdigest.render.text:render_life_text",
    "json": "listdigest.render.json:render_life_json",
    "markdown": "listdigest.render.markdown:render_life_markdown",
    "html": "listdigest.render.html:render_life_html",
    "atom": "listdigest.render.atom:render_life_atom",
}

EXAMPLES = """\b
Examples:
  listdigest series kvm 20250303-widget-v2-0-0a1b2c3d@example.org
  listdigest series kvm https://lore.kernel.org/kvm/<msgid>/ --format json

"""


@click.command(epilog=EXAMPLES)
@click.argument("archive", type=click.Path(path_type=str))
@click.argument("msgid")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True)
@click.option("-o", "--output", metavar="FILE", help="Write here instead of standard output.")
@click.option("--db", metavar="PATH", help="The index to read (built if need be).")
@click.option("--link-base", metavar="URL",
              help="Link each version: URL + Message-ID (e.g. https://lore.kernel.org/r/).")
@click.option("--tree", metavar="PATH", type=click.Path(path_type=Path),
              help="A clone of the project: commits whose Link:/Message-ID: trailers "
                   "name a patch mark it applied.")
@mail_options
def series(archive: str, msgid: str, fmt: str, output: str | None, db: str | None,
           link_base: str | None, tree: Path | None, mail_from: str | None,
           mail_to: tuple[str, ...], in_reply_to: tuple[str, ...], mail_html: bool) -> None:
    """Print every version of the series MSGID belongs to (a Message-ID of any of its
    messages or replies, or a lore URL), oldest first, from ARCHIVE's index."""
    check_link_base(link_base)
    with current_index(Archive.open(archive), db, create=True) as idx:
        assert idx is not None  # create=True always gives one
        versions = series_life(idx, msgid, tree)
    if fmt == "email":
        from listdigest.render.email_message import as_text, life_email

        mail = envelope(mail_from, mail_to, in_reply_to, mail_html)
        text = as_text(life_email(versions, link_base, mail))
    else:
        text = renderer(RENDERERS[fmt])(versions, link_base)
    write_output(text, output)
