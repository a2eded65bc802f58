"""The text digest, in the layout of the KVM list update its readers know."""

from __future__ import annotations

from functools import cache

import jinja2

from listdigest.digest import Digest
from listdigest.mail.message import Message
from listdigest.model.series import Series
from listdigest.stats.contributors import format_address


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("listdigest.render", "templates"),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False, undefined=jinja2.StrictUndefined,
    )


def author(msg: Message) -> str:
    """The contributor of a patch email as ``Name <addr>``."""
    return format_address(msg.author_name, msg.author_addr)


def series_summary(s: Series) -> str:
    """``v2, 3 patches + cover letter`` — what a series holds."""
    parts = [f"v{s.version}"]
    count = len(s.patches)
    parts.append(f"{count} patch" + ("es" if count != 1 else ""))
    if s.total and s.total != count:
        parts[-1] += f" of {s.total}"
    text = ", ".join(parts)
    return text + (" + cover letter" if s.cover else "")


def render_text(d: Digest) -> str:
    """Render a digest as text."""
    def body(msg: Message) -> str:
        b = d.bodies.get(msg.blob)
        return b.section if b else "(message body could not be read)"

    template = _environment().get_template("digest.txt.j2")
    return template.render(d=d, author=author, series_summary=series_summary, body=body)
