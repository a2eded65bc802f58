"""The html digest and statistics: one self-contained page (inline CSS and SVG, no
script), from templates that autoescape every value and drop control characters."""

from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup

from listdigest.digest import Digest
from listdigest.mail.message import Message
from listdigest.model.series import Series
from listdigest.render.safe import clean
from listdigest.render.text import author, missing, reviewer_line, series_summary
from listdigest.render.view import day, digest_charts, life_view, page_link, stats_charts
from listdigest.stats.history import Statistics


def _finalize(value: object) -> object:
    """Every value a template prints passes here before escaping: text loses control
    and bidi-control characters; markup (charts, macros) is trusted as built."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean(value)
    return value


@cache
def environment() -> jinja2.Environment:
    """The environment of the html and atom templates (autoescape on); the web app
    renders its pages with it too, extending ``base.html.j2``."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("listdigest.render", "templates"),
        autoescape=True, finalize=_finalize, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )


def digest_context(d: Digest, *, charts: bool = True) -> dict[str, object]:
    """What the digest templates (page and feed content) are given; feed readers drop
    SVG, so a feed's content goes without charts."""
    def body(s: Series, msg: Message) -> str:
        text = d.body_text(s, msg)
        return "(message body could not be read)" if text is None else text

    return {"d": d, "acc": d.accounting, "charts": digest_charts(d) if charts else None,
            "link": d.web_link, "author": author, "series_summary": series_summary,
            "missing": missing, "reviewers": reviewer_line, "day": day,
            "body": body}


def render_html(d: Digest) -> str:
    """The digest as one html page."""
    return environment().get_template("digest.html.j2").render(digest_context(d))


def for_feeds(html: str) -> str:
    """Quotes escaped as ``&quot;`` and ``&#x27;`` rather than MarkupSafe's ``&#34;`` and
    ``&#39;``, which some feed readers (feedparser among them) decode once too often
    inside an attribute, letting a quote from a Message-ID end it. The decimal forms
    only ever come from escaping: a literal one in mail is escaped to ``&amp;#34;``."""
    return html.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")


def render_html_content(d: Digest) -> str:
    """The digest's html without the page around it or its charts (a feed entry)."""
    return for_feeds(environment().get_template("digest_content.html.j2").render(
        digest_context(d, charts=False)))


def render_stats_html(s: Statistics) -> str:
    """Statistics as one html page with per-period charts."""
    return environment().get_template("stats.html.j2").render(s=s, charts=stats_charts(s))


def render_stats_html_content(s: Statistics) -> str:
    """The statistics' html without the page around it or its charts (a feed entry)."""
    return for_feeds(environment().get_template("stats_content.html.j2").render(
        s=s, charts=None))


def life_title(versions: list[Series]) -> str:
    """``TITLE (3 postings)``: the newest version's title, as the text starts."""
    n = len(versions)
    return f"{versions[-1].title} ({n} posting{'s' if n != 1 else ''})"


def _life_context(versions: list[Series], link_base: str | None) -> dict[str, object]:
    return {"title": life_title(versions), "versions": life_view(versions),
            "link": lambda msg: page_link(link_base, msg), "author": author}


def render_life_html(versions: list[Series], link_base: str | None) -> str:
    """The life of a series as one html page."""
    return environment().get_template("life.html.j2").render(_life_context(versions, link_base))


def render_life_html_content(versions: list[Series], link_base: str | None) -> str:
    """The life of a series without the page around it (a feed entry)."""
    return for_feeds(environment().get_template("life_content.html.j2").render(
        _life_context(versions, link_base)))
