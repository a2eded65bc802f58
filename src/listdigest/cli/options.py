"""Options shared by the commands that read a range of an archive (digest, stats)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from listdigest.render.email_message import DEFAULT_FROM, DEFAULT_TO, Envelope

F = TypeVar("F", bound=Callable[..., object])

#: Every output format of digest and stats (and of update's ``formats``).
FORMATS = ("text", "json", "markdown", "html", "email", "atom")

_RANGE = (
    click.argument("archive", type=click.Path(path_type=str)),
    click.option("--from", "rev_from", metavar="REV",
                 help="Start after this commit (exclusive)."),
    click.option("--to", "rev_to", metavar="REV",
                 help="End at this commit (inclusive; default: newest)."),
    click.option("--since", metavar="DATE", help="Messages dated at or after DATE (ISO 8601)."),
    click.option("--until", metavar="DATE",
                 help="Messages dated up to DATE (a bare date: its end)."),
    click.option("--name", help="List name for the title (default: from List-Id)."),
    click.option("--top", default=15, show_default=True, type=click.IntRange(min=1),
                 help="Rows of each table."),
    click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                 show_default=True),
    click.option("-o", "--output", metavar="FILE", help="Write here instead of standard output."),
    click.option("--db", metavar="PATH",
                 help="Read through this index (default: the archive's index, if built)."),
)


def range_options(command: F) -> F:
    """ARCHIVE, the range (--from/--to or --since/--until), --name, --top, --format,
    -o and --db."""
    for decorate in reversed(_RANGE):
        command = decorate(command)
    return command


_MAIL = (
    click.option("--mail-from", metavar="ADDR",
                 help="--format email: the From (default: listdigest <listdigest@localhost>)."),
    click.option("--mail-to", metavar="ADDR", multiple=True,
                 help="--format email: a recipient (repeatable)."),
    click.option("--in-reply-to", "in_reply_to", metavar="MSGID", multiple=True,
                 help="--format email: the previous digest's Message-ID, to thread under it "
                      "(repeat for older ones, oldest first)."),
    click.option("--mail-html", is_flag=True,
                 help="--format email: add the html page as an alternative part."),
)


def mail_options(command: F) -> F:
    """--mail-from, --mail-to, --in-reply-to and --mail-html, for --format email."""
    for decorate in reversed(_MAIL):
        command = decorate(command)
    return command


def envelope(mail_from: str | None, mail_to: tuple[str, ...], in_reply_to: tuple[str, ...],
             mail_html: bool) -> Envelope:
    """The envelope of ``--format email`` from the mail options."""
    return Envelope(sender=mail_from or DEFAULT_FROM, to=mail_to or (DEFAULT_TO,),
                    references=in_reply_to, html=mail_html)
