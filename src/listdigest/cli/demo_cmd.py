"""``listdigest demo``: build the packaged demo list into a public-inbox archive and
print its digest, so a new user sees the output without mirroring anything."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from listdigest.cli.digest_cmd import make_digest, render, write_output
from listdigest.cli.index_cmd import index_archive
from listdigest.cli.options import FORMATS, envelope, mail_options
from listdigest.cli.say import note
from listdigest.demo import build_archive, demo_messages
from listdigest.sources.archive import Archive


@click.command(epilog="""\b
Examples:
  listdigest demo
  listdigest demo --keep demo-list && listdigest digest demo-list --since 2025-03-04
  listdigest demo --format html -o demo.html
""")
@click.option("--keep", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Build the demo archive here and keep it (a new or empty folder).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Show every patch's commit message.")
@click.option("-o", "--output", metavar="FILE", help="Write here instead of standard output.")
@click.option("--db", metavar="PATH", help="Index the demo archive here and digest from it.")
@mail_options
def demo(keep: Path | None, fmt: str, show_all: bool, output: str | None,
         db: str | None, mail_from: str | None, mail_to: tuple[str, ...],
         in_reply_to: tuple[str, ...], mail_html: bool) -> None:
    """Build a small demo archive from emails shipped with listdigest and digest it."""
    with tempfile.TemporaryDirectory(prefix="listdigest-demo-") as tmp:
        inbox = build_archive(keep or Path(tmp) / "demo", demo_messages())
        archive = Archive.open(inbox)
        if db:
            index_archive(archive, db)
        d = make_digest(archive, rev_from=None, rev_to=None, since=None, until=None,
                        name="Demo", top=15, show_all=show_all, db=db)
        write_output(render(d, fmt, envelope(mail_from, mail_to, in_reply_to, mail_html)),
                     output)
    if keep:
        note(f"demo archive kept in {inbox}")

