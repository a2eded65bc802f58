"""Options shared by the commands that read a range of an archive (digest, stats)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import click

from listdigest.errors import ListdigestError
from listdigest.sources.archive import parse_range

if TYPE_CHECKING:  # the email machinery is loaded only for --format email
    from listdigest.render.email_message import Envelope

F = TypeVar("F", bound=Callable[..., object])

#: Every output format of digest and stats (and of update's ``formats``).
FORMATS = ("text", "json", "markdown", "html", "email", "atom")


def renderer(target: str) -> Callable[..., Any]:
    """The function ``module:name`` of a renderer, imported when a command uses it: a
    text digest does not load jinja2, ElementTree or the email machinery, whose imports
    cost more than reading a week from the index (each command keeps a table of its
    formats' targets)."""
    module, _, name = target.partition(":")
    return cast(Callable[..., Any], getattr(importlib.import_module(module), name))

#: The epilog of every command that takes a range: the forms of a range and of a date.
RANGE_HELP = """\b
A range is a git range of the archive's commits (any epoch):
  A..B   after A, up to B          A..   after A, to the newest
  ..B    from the first, up to B   B     the same as ..B
or dates (the messages' Date, UTC unless a zone is given), in any form git takes:
  2026-01-13, yesterday, today, 'last monday' (a whole day: as --until, its end),
  '2026-01-13 10:00', 2026-01-13T10:00+01:00, 2.weeks.ago,
  'Tue, 13 Jan 2026 10:00:00 +0100', @1671494400"""

_RANGE = (
    click.argument("archive", type=click.Path(path_type=str)),
    click.argument("rng", metavar="[RANGE]", required=False),
    click.option("--from", "rev_from", metavar="REV",
                 help="Start after this commit (exclusive; RANGE A.. is the same)."),
    click.option("--to", "rev_to", metavar="REV",
                 help="End at this commit (inclusive; default: newest; RANGE ..B)."),
    click.option("--since", metavar="DATE",
                 help="Messages dated at or after DATE (e.g. 2.weeks.ago, 2026-01-05)."),
    click.option("--until", metavar="DATE",
                 help="Messages dated up to DATE (a bare date: its end)."),
    click.option("--name", help="List name for the title (default: from List-Id)."),
    click.option("--top", default=15, show_default=True, type=click.IntRange(min=1),
                 help="Rows of each text table (JSON has them all)."),
    click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                 show_default=True),
    click.option("-o", "--output", metavar="FILE", help="Write here instead of standard output."),
    click.option("--db", metavar="PATH",
                 help="Read through this index (default: the archive's index, if built)."),
)


def range_options(command: F) -> F:
    """ARCHIVE, the range (RANGE, --from/--to or --since/--until), --name, --top,
    --format, -o and --db. A positional ``A..B`` arrives as ``rev_from``/``rev_to``."""
    @functools.wraps(command)
    def with_range(*args: Any, rng: str | None = None, **kwargs: Any) -> object:
        if rng is not None:
            if kwargs.get("rev_from") or kwargs.get("rev_to"):
                raise click.UsageError(f"give the range {rng} or --from/--to, not both")
            kwargs["rev_from"], kwargs["rev_to"] = parse_range(rng)
        return command(*args, **kwargs)

    decorated: Callable[..., object] = with_range
    for decorate in reversed(_RANGE):
        decorated = decorate(decorated)
    return cast(F, decorated)


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
    from listdigest.render.email_message import DEFAULT_FROM, DEFAULT_TO, Envelope

    return Envelope(sender=mail_from or DEFAULT_FROM, to=mail_to or (DEFAULT_TO,),
                    references=in_reply_to, html=mail_html)


def check_link_base(link_base: str | None) -> str | None:
    """A link base is a web address (pages link every message to it), normalized so
    that a Message-ID can follow it: ``https://lore.kernel.org/r`` gives
    ``https://lore.kernel.org/r/``."""
    if not link_base:
        return None
    try:
        parts = urlsplit(link_base.strip())
        hostname = parts.hostname  # "http://[::1" raises here or above
    except ValueError:
        raise ListdigestError(f"link base {link_base!r} is no http:// or https:// address"
                              ) from None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        raise ListdigestError(f"link base {link_base!r} is no http:// or https:// address")
    if parts.query or parts.fragment:
        raise ListdigestError(f"link base {link_base!r} has a query or fragment: a "
                              "Message-ID could not follow it")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))
