"""The Markdown digest and statistics (CommonMark, with GitHub's tables): headings per
section, tables for the top lists, each series with its state and patches, a link per
message when a link base is known, bodies in fenced blocks.

Every value from mail is cleaned and has the characters Markdown gives a meaning to
backslash-escaped (``<`` too, so no raw HTML passes); values the renderer builds
itself (links, fences) are marked safe with ``Markup``.
"""

from __future__ import annotations

import re
from functools import cache

import jinja2
from markupsafe import Markup

from listdigest.digest import Digest
from listdigest.mail.message import Message
from listdigest.model.series import Series
from listdigest.render.html import life_title
from listdigest.render.safe import clean, one_line
from listdigest.render.text import author, missing, reviewer_line, series_summary
from listdigest.render.view import day, life_view, page_link
from listdigest.stats.history import Statistics

_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>&|~!#{}])")
_LEADING_RE = re.compile(r"^([-+=]|\d+[.)])")  # a list item or heading underline


def escape(value: object) -> str:
    """One line of inline Markdown text showing ``value`` literally."""
    text = _SPECIAL_RE.sub(r"\\\1", one_line(str(value)))
    return _LEADING_RE.sub(r"\\\1", text)


def _finalize(value: object) -> object:
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, str):
        return escape(value)
    return value


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("listdigest.render", "templates"),
        autoescape=False, finalize=_finalize, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )


def fenced(text: str) -> Markup:
    """``text`` as a fenced code block whose fence is longer than any backtick run in
    it, so no body can close the block early."""
    body = clean(text).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markup(f"{fence}text\n{body}\n{fence}")


def linked(text: str, url: str | None) -> Markup:
    """``[text](<url>)``, or the escaped text alone without a url (the url is built by
    the digest with the Message-ID percent-encoded, so it holds no ``<``, ``>`` or
    space)."""
    shown = escape(text)
    return Markup(f"[{shown}](<{url}>)" if url else shown)


def render_markdown(d: Digest) -> str:
    """The digest as Markdown."""
    def body(s: Series, msg: Message) -> Markup:
        text = d.body_text(s, msg)
        return fenced("(message body could not be read)" if text is None else text)

    def link(msg: Message) -> Markup:
        return linked(msg.subject, d.web_link(msg))

    def linked_title(s: Series) -> Markup:
        return linked(s.title, d.web_link(s.messages[0]))

    return _environment().get_template("digest.md.j2").render(
        d=d, acc=d.accounting, link=link, linked_title=linked_title, author=author,
        series_summary=series_summary, missing=missing, reviewers=reviewer_line,
        day=day, body=body)


def render_stats_markdown(s: Statistics) -> str:
    """Statistics as Markdown: the periods and the three top lists as tables."""
    return _environment().get_template("stats.md.j2").render(s=s)


def render_life_markdown(versions: list[Series], link_base: str | None) -> str:
    """The life of a series as Markdown: a section per version."""
    def link(msg: Message) -> Markup:
        return linked(msg.subject, page_link(link_base, msg))

    return _environment().get_template("life.md.j2").render(
        title=life_title(versions), versions=life_view(versions), link=link, author=author)
