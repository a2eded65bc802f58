"""The web app: one Starlette application over the indexed lists, every page with a JSON
twin (``?format=json``), read-only.

Safety rules every page follows: values from mail go through Jinja2's autoescaping
(and URLs through percent-encoding); a bad parameter or an unknown name answers 400 or
404 with a short page, anything unexpected 500 without a traceback; every response
carries a Content-Security-Policy allowing only the page's own style sheet (by hash),
no script, no frame and no request elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from listdigest.digest import (
    build_digest,
    default_link_base,
    default_list_name,
    fetch_bodies,
    message_link,
    parse_when,
    select,
)
from listdigest.errors import ArchiveError, ListdigestError
from listdigest.index.search import QueryError, parse_query, search_series
from listdigest.indexed_stats import indexed_statistics
from listdigest.mail.message import Message as Mail
from listdigest.mail.scan import first_postings
from listdigest.model.series import review_counts, review_trailers
from listdigest.render.charts import column_chart
from listdigest.render.html import digest_context, environment
from listdigest.render.json import render_stats_json, to_json
from listdigest.render.text import author, missing, series_summary
from listdigest.render.view import STATES, day, state_of, stats_charts
from listdigest.serve import store
from listdigest.serve.store import ServedList, Unavailable, reading
from listdigest.stats.history import PERIODS, build_statistics

#: Rows of one page of search results, and the last page number anyone may ask for.
PAGE_SIZE = 50
MAX_PAGE = 10_000
#: A digest page reads at most this many messages (the whole of a big list is for stats).
MAX_DIGEST_MESSAGES = 20_000
WEEKS_SHOWN = 12
#: Bytes of answers kept by the page cache.
CACHE_BYTES = 64 << 20
#: A search with state: works out the state of at most this many matching series.
MAX_STATE_SERIES = 2000


class Problem(HTTPException):
    """A request the server cannot answer as asked: status and one short line."""


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


_STYLE_RE = re.compile(r"<style>(.*?)</style>", re.S)


def content_security_policy(html: str = "") -> str:
    """Nothing but the page's own inline style sheets (each allowed by its hash) and
    data: images; forms submit only here; no script, no frame, no base rewriting."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode()
        + "'" for m in _STYLE_RE.finditer(html)) or "'none'"
    return (f"default-src 'none'; style-src {hashes}; img-src data:; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def html_response(html: str, status: int = 200) -> HTMLResponse:
    """A page with the policy that allows exactly its style sheet."""
    return HTMLResponse(html, status_code=status,
                        headers={"content-security-policy": content_security_policy(html)})


class SecurityHeaders:
    """ASGI middleware around everything (error pages too): headers that keep browsers
    from sniffing types, framing pages or leaking the address, and the strictest CSP on
    any response that has none of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        self.csp = (b"content-security-policy", content_security_policy().encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *self.headers]
                if not any(k.lower() == self.csp[0] for k, _ in headers):
                    headers.append(self.csp)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def url(lst: ServedList, where: str, arg: str | None = None, /, **query: Any) -> str:
    """A link inside the app: ``/KEY/PAGE/ARG?QUERY``, every part percent-encoded."""
    path = f"/{quote(lst.key, safe='')}/{where}"
    if arg is not None:
        path += "/" + quote(arg, safe="@")
    params = {k: v for k, v in query.items() if v not in (None, "")}
    return path + ("?" + urlencode(params) if params else "")


@cache
def _environment() -> jinja2.Environment:
    """The html format's environment (autoescape, control characters dropped), with the
    app's templates (``web_*``) found first and the format's (``base.html.j2``, the
    digest, statistics and series partials) after."""
    return environment().overlay(loader=jinja2.ChoiceLoader([
        jinja2.PackageLoader("listdigest.serve", "templates"),
        jinja2.PackageLoader("listdigest.render", "templates"),
    ]))


#: What every page template may call.
HELPERS: dict[str, Any] = {"url": url, "day": day, "author": author, "state": state_of}


def render_page(template: str, **context: Any) -> str:
    """A page of the app from its template."""
    return _environment().get_template(template).render({**HELPERS, **context})


class PageCache:
    """Answers already made, by list, URL and the state of the list's index: a page of
    an unchanged index is the same page, so it is sent again instead of being made again
    (a busy week's digest reads thousands of rows and bodies). Bounded in bytes, oldest
    dropped first; any update of the index makes its pages be made anew."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit, self.size = limit, 0
        self.pages: OrderedDict[tuple[str, str, str], tuple[tuple, Response]] = OrderedDict()  # type: ignore[type-arg]
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str, str], state: tuple) -> Response | None:  # type: ignore[type-arg]
        with self.lock:
            hit = self.pages.get(key)
            if hit is None or hit[0] != state:
                return None
            self.pages.move_to_end(key)
            return hit[1]

    def put(self, key: tuple[str, str, str], state: tuple, response: Response) -> None:  # type: ignore[type-arg]
        if len(response.body) > self.limit // 8:
            return
        with self.lock:
            if (old := self.pages.pop(key, None)) is not None:
                self.size -= len(old[1].body)
            self.pages[key] = (state, response)
            self.size += len(response.body)
            while self.size > self.limit:
                _, (_, dropped) = self.pages.popitem(last=False)
                self.size -= len(dropped.body)


class Site:
    """The pages of the served lists."""

    def __init__(self, lists: list[ServedList]) -> None:
        self.lists = {lst.key: lst for lst in lists}
        self.cache = PageCache()

    def cached(self, endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """``endpoint`` answered from the page cache while the list's index is unchanged
        (only complete answers, status 200, are kept)."""
        def answer(request: Request) -> Response:
            lst = self._list(request)
            state = store.index_state(lst)
            key = (lst.key, request.url.path, request.url.query)
            if (hit := self.cache.get(key, state)) is not None:
                return Response(hit.body, hit.status_code, headers=dict(hit.headers))
            response = endpoint(request)
            if response.status_code == 200:
                self.cache.put(key, state, response)
            return response

        return answer

    # --- plumbing -------------------------------------------------------------------

    def _list(self, request: Request) -> ServedList:
        key = request.path_params["list"]
        if key not in self.lists:
            raise Problem(404, f"no list named {key!r} is served here")
        return self.lists[key]

    @staticmethod
    def _wants_json(request: Request) -> bool:
        fmt = request.query_params.get("format", "html")
        if fmt not in ("html", "json"):
            raise Problem(400, "format must be html or json")
        return fmt == "json"

    @staticmethod
    def _json_url(request: Request) -> str:
        params = dict(request.query_params)
        params["format"] = "json"
        return f"{quote(request.url.path)}?{urlencode(params)}"

    def _page(self, request: Request, template: str, title: str,
              lst: ServedList | None, data: Callable[[], Any], **context: Any) -> Response:
        """The HTML page, or its JSON twin (``data()``) when asked for."""
        if self._wants_json(request):
            return JSONResponse(data())
        context.setdefault("q", "")
        return html_response(render_page(template, title=title, lst=lst,
                                         json_url=self._json_url(request), **context))

    # --- pages ----------------------------------------------------------------------

    def lists_page(self, request: Request) -> Response:
        """Every served list."""
        lists = list(self.lists.values())
        return self._page(request, "web_lists.html.j2", "lists", None,
                          lambda: {"lists": [{"key": lst.key, "name": lst.name,
                                              "url": url(lst, "")} for lst in lists]},
                          lists=lists)

    def home(self, request: Request) -> Response:
        """A list's newest weeks, its activity per month and its newest series."""
        lst = self._list(request)
        with reading(lst) as idx:
            weeks = store.newest_weeks(idx, WEEKS_SHOWN, int(time.time()))
            activity = store.monthly_activity(idx)
            newest = store.newest_series(idx, 15)

        def week_url(w: store.Week) -> str:
            return url(lst, "digest", since=day(w.start), until=day(w.start + 6 * 86400))

        def week_label(w: store.Week) -> str:
            year, week, _ = datetime.fromtimestamp(w.start, UTC).isocalendar()
            return f"{year}-W{week:02d}"

        def data() -> dict[str, Any]:
            return {
                "list": lst.name,
                "weeks": [{"week": week_label(w), "start": day(w.start),
                           "messages": w.messages, "patch_emails": w.patch_emails,
                           "replies": w.replies, "contributors": w.contributors,
                           "digest": week_url(w)} for w in weeks],
                "activity": [{"month": m, "messages": n, "patch_emails": p}
                             for m, n, p in activity],
                "newest_series": [_line_json(lst, s) for s in newest],
            }

        chart = column_chart([m for m, _, _ in activity],
                             [("messages", [n for _, n, _ in activity]),
                              ("patch emails", [p for _, _, p in activity])],
                             title="Messages and patch emails per month", width=720)
        return self._page(request, "web_home.html.j2", lst.name, lst, data, weeks=weeks,
                          activity_chart=chart, lines=newest,
                          show_matched=False, week_url=week_url, week_label=week_label)

    def digest(self, request: Request) -> Response:
        """The digest of a range: ``?since=&until=`` (dates) or ``?from=&to=`` (commits)."""
        lst = self._list(request)
        p = request.query_params
        ranges = {"rev_from": p.get("from") or None, "rev_to": p.get("to") or None,
                  "since": p.get("since") or None, "until": p.get("until") or None}
        if not any(ranges.values()):
            raise Problem(400, "give a range: ?since=DATE&until=DATE or ?from=REV&to=REV")
        wants_json = self._wants_json(request)
        with reading(lst) as idx:
            try:
                sel = select(idx.archive, idx, shown=first_postings, **ranges)
            except ArchiveError as exc:
                raise Problem(404, str(exc)) from None
            except ListdigestError as exc:
                raise Problem(400, str(exc)) from None
            if len(sel.messages) > MAX_DIGEST_MESSAGES:
                raise Problem(400, f"the range holds {len(sel.messages)} messages; a digest"
                                   f" page shows at most {MAX_DIGEST_MESSAGES} (see statistics)")
            d = build_digest(idx.archive, sel.messages, sel.accounting, list_name=lst.name,
                             start=sel.start, end=sel.end, by_date=sel.by_date, top=15,
                             show_all=False, bodies=sel.bodies, leads=sel.leads)
        d.link_base = lst.link_base
        if wants_json:
            return JSONResponse(to_json(d))
        context = digest_context(d)
        context["link"] = lambda m: url(lst, "series", m.message_id)  # lore is one click on
        return self._page(request, "web_digest.html.j2", f"{lst.name} {d.start} to {d.end}",
                          lst, lambda: None, **context)

    def series(self, request: Request) -> Response:
        """One series: versions, patches, reviewers, replies; bodies with ``?bodies=1``."""
        lst = self._list(request)
        message_id = request.path_params["mid"]
        show_bodies = request.query_params.get("bodies", "") not in ("", "0")
        with reading(lst) as idx:
            view = store.find_series(idx, message_id)
            if view is None:
                raise Problem(404, f"no patch email <{message_id}> in {lst.name}")
            bodies = fetch_bodies(idx.archive, view.series.messages) if show_bodies else {}
        s = view.series

        def link(m: Mail) -> str | None:
            return message_link(lst.link_base or default_link_base(m.list_id), m.message_id)

        def body(m: Mail) -> str:
            b = bodies.get(m.blob)
            return b if b is not None else "(message body could not be read)"

        def data() -> dict[str, Any]:
            return {
                "list": lst.name, "title": s.title, "version": s.version, "total": s.total,
                "sender": s.sender, "missing": s.missing, "reviews": review_counts(s),
                "state": state_of(s),
                "reviewers": view.reviewers,
                "versions": [{**_line_json(lst, v),
                              "this": v.message_id in {m.message_id for m in s.messages}}
                             for v in view.versions],
                "patches": [{**_mail_json(m, link(m)),
                             **({"body": body(m)} if show_bodies else {})}
                            for m in s.messages],
                "replies": [{**_mail_json(r, link(r)),
                             "reviews": [[t, v] for t, v in review_trailers(r)]}
                            for r in s.replies],
            }

        return self._page(request, "web_series.html.j2", s.title, lst, data, view=view,
                          summary=series_summary(s), missing=missing(s) if s.missing else "",
                          link=link, body=body, bodies=show_bodies, reviews=review_trailers,
                          own={m.message_id for m in s.messages})

    def person(self, request: Request) -> Response:
        """A person by address: series sent and reviews given, per period."""
        lst = self._list(request)
        address = request.path_params["address"]
        by = self._period(request, "year")
        with reading(lst) as idx:
            person = store.find_person(idx, address, by)
        if person is None:
            raise Problem(404, f"nothing from or reviewed by {address} in {lst.name}")
        patch_emails = sum(len(s.messages) for s in person.series)

        def data() -> dict[str, Any]:
            return {
                "list": lst.name, "address": person.address, "name": person.name,
                "patch_emails": patch_emails, "by": by,
                "series": [{"title": s.title, "version": s.version,
                            "date": _iso(min(m.date for m in s.messages)),
                            "patches": len(s.patches),
                            "message_id": s.messages[0].message_id,
                            "url": url(lst, "series", s.messages[0].message_id)}
                           for s in person.series],
                "reviews": [{"trailer": tag, "date": _iso(r.date), "subject": r.subject,
                             "message_id": r.message_id} for tag, r in person.reviews],
                "periods": [{"period": p.label, "series": p.series,
                             "patch_emails": p.patch_emails, "reviews": p.reviews}
                            for p in person.periods],
            }

        chart = column_chart([x.label for x in person.periods],
                             [("series", [x.series for x in person.periods]),
                              ("reviews", [x.reviews for x in person.periods])],
                             title=f"Series sent and reviews given per {by}")
        return self._page(request, "web_person.html.j2", person.name or person.address, lst,
                          data, p=person, by=by, patch_emails=patch_emails, chart=chart)

    def stats(self, request: Request) -> Response:
        """The ``stats`` content for any range and period, with charts."""
        lst = self._list(request)
        p = request.query_params
        by = self._period(request, "year")
        since, until = p.get("since") or None, p.get("until") or None
        wants_json = self._wants_json(request)
        with reading(lst) as idx:
            ranges = {"rev_from": p.get("from") or None, "rev_to": p.get("to") or None,
                      "since": since, "until": until}
            try:  # aggregated in SQL, as `listdigest stats` does from a current index
                counted = indexed_statistics(idx.archive, idx, **ranges, name=lst.name or None,
                                             by=by, top=15)
                if counted is not None:
                    s = counted[1]
                else:  # the index cannot answer alone (a snapshot): `stats`' own fallback
                    sel = select(idx.archive, idx, shown=None, **ranges)
                    s = build_statistics(sel.messages, list_name=lst.name or
                                         default_list_name(idx.archive, sel.messages),
                                         start=sel.start, end=sel.end, by=by, top=15)
            except ArchiveError as exc:
                raise Problem(404, str(exc)) from None
            except ListdigestError as exc:
                raise Problem(400, str(exc)) from None
        if wants_json:
            return Response(render_stats_json(s), media_type="application/json")
        return self._page(request, "web_stats.html.j2", f"{lst.name} statistics", lst,
                          lambda: None, s=s, charts=stats_charts(s), periods=PERIODS,
                          since=since, until=until)

    def search(self, request: Request) -> Response:
        """Series whose patch emails match the query (see ``listdigest.index.search``)."""
        lst = self._list(request)
        q = request.query_params.get("q", "").strip()
        page = self._number(request, "page", 1)
        lines: list[store.SeriesLine] = []
        total = 0
        if q:
            try:
                query = parse_query(q, extra=("state",))
                lo = parse_bound(query.since, end=False)
                hi = parse_bound(query.until, end=True)
            except ListdigestError as exc:
                raise Problem(400, str(exc)) from None
            wanted = {w.lower().replace("-", " ") for w in query.filters.get("state", [])}
            if unknown := sorted(wanted - set(STATES)):
                raise Problem(400, f"unknown state {unknown[0]!r} (states: {', '.join(STATES)})")
            with reading(lst) as idx:
                try:
                    found = search_series(idx.db, query, lo, hi)
                except QueryError as exc:
                    raise Problem(400, str(exc)) from None
                if wanted:
                    if len(found) > MAX_STATE_SERIES:
                        raise Problem(400, f"state: reads each series' replies and versions:"
                                           f" narrow the search below {MAX_STATE_SERIES}"
                                           f" series first ({len(found)} match)")
                    states = store.series_states(idx, [k for k, _ in found])
                    found = [(k, n) for k, n in found if states.get(k) in wanted]
                total = len(found)
                chunk = found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
                if page > 1 and not chunk:
                    raise Problem(404, f"no page {page}: {total} series match")
                lines = store.series_lines(idx, [k for k, _ in chunk], dict(chunk))
        pages = max(1, math.ceil(total / PAGE_SIZE))

        def data() -> dict[str, Any]:
            return {"list": lst.name, "q": q, "total": total, "page": page, "pages": pages,
                    "series": [_line_json(lst, s) | {"matched": s.matched} for s in lines]}

        return self._page(request, "web_search.html.j2", f"search: {q}" if q else "search", lst,
                          data, q=q, lines=lines, total=total, page=page, pages=pages,
                          show_matched=True)

    @staticmethod
    def _number(request: Request, name: str, default: int) -> int:
        value = request.query_params.get(name)
        if value is None or value == "":
            return default
        if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
            raise Problem(400, f"{name} must be a whole number from 1 to {MAX_PAGE}")
        return int(value)

    @staticmethod
    def _period(request: Request, default: str) -> str:
        by = request.query_params.get("by", default)
        if by not in PERIODS:
            raise Problem(400, f"by must be one of {', '.join(PERIODS)}")
        return by


def parse_bound(value: str | None, *, end: bool) -> float:
    """A search's ``since:``/``until:`` date as seconds (infinite when not given)."""
    if not value:
        return math.inf if end else -math.inf
    return parse_when(value, end=end).timestamp()


def _mail_json(m: Mail, link: str | None) -> dict[str, Any]:
    return {
        "subject": m.subject, "message_id": m.message_id, "date": _iso(m.date),
        "author": {"name": m.author_name, "address": m.author_addr},
        "sender": {"name": m.from_name, "address": m.from_addr},
        "diffstat": dict(zip(("files", "insertions", "deletions"), m.diffstat, strict=True))
        if m.diffstat else None,
        "trailers": [[k, v] for k, v in m.trailers], "link": link,
    }


def _line_json(lst: ServedList, s: store.SeriesLine) -> dict[str, Any]:
    return {"title": s.title, "subject": s.subject, "version": s.version,
            "sender": s.sender, "date": _iso(s.date), "patches": s.patches,
            "message_id": s.message_id, "url": url(lst, "series", s.message_id)}


def _error_page(request: Request, status: int, detail: str) -> Response:
    titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed",
              503: "Unavailable", 500: "Server error"}
    if request.query_params.get("format") == "json":
        return JSONResponse({"error": detail, "status": status}, status_code=status)
    title = f"{status} {titles.get(status, 'Error')}"
    return html_response(render_page("web_error.html.j2", title=title, detail=detail,
                                     lst=None, json_url="", q=""), status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error_page(request, exc.status_code, exc.detail)


async def _unavailable(request: Request, exc: Exception) -> Response:
    return _error_page(request, 503, str(exc) if isinstance(exc, Unavailable)
                       else "the index cannot be read just now; try again")


async def _server_error(request: Request, exc: Exception) -> Response:
    return _error_page(request, 500, "something went wrong on the server side")


def create_app(lists: list[ServedList]) -> ASGIApp:
    """The ASGI application serving ``lists``."""
    site = Site(lists)
    routes = [
        Route("/", site.lists_page),
        Route("/{list}/", site.cached(site.home)),
        Route("/{list}/digest", site.cached(site.digest)),
        Route("/{list}/series/{mid:path}", site.cached(site.series)),
        Route("/{list}/person/{address:path}", site.cached(site.person)),
        Route("/{list}/stats", site.cached(site.stats)),
        Route("/{list}/search", site.cached(site.search)),
    ]
    app = Starlette(routes=routes, exception_handlers={
        HTTPException: _http_error, Unavailable: _unavailable, sqlite3.Error: _unavailable,
        Exception: _server_error,
    })
    return SecurityHeaders(app)
