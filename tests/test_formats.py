"""The html, markdown, email and atom formats on a kvmarm range whose facts the text
tests check (test_kvmarm.py, MAY2020: a24576bae834..4bb3463450ec), each read back with
that format's own parser.

Per day, by Date (UTC), read with ``git show COMMIT:m`` and Python's email package: 99
unique messages from 2020-05-17 to 2020-05-26 (none on 05-23), messages/patch emails
7/7, 25/3, 10/5, 4/0, 3/0, 17/12, 0/0, 3/0, 23/8, 7/0.
"""

from __future__ import annotations

import email
import email.utils
import os
from dataclasses import replace
from datetime import date, timedelta
from email import policy
from pathlib import Path

import feedparser
import html5lib
import pytest
from click.testing import CliRunner
from formats_util import png_colours
from markdown_it import MarkdownIt

from listdigest.cli import cli
from listdigest.cli.digest_cmd import make_digest
from listdigest.demo import build_archive
from listdigest.digest import Accounting, Digest
from listdigest.render.atom import render_atom
from listdigest.render.email_message import Envelope, as_text, digest_email
from listdigest.render.html import render_html
from listdigest.render.markdown import render_markdown
from listdigest.render.text import render_text
from listdigest.sources.archive import Archive
from listdigest.stats.history import Day

MAY2020 = ("a24576bae834", "4bb3463450ec")
NS = {"h": "http://www.w3.org/1999/xhtml", "svg": "http://www.w3.org/2000/svg"}
DAYS = {"2020-05-17": (7, 7), "2020-05-18": (25, 3), "2020-05-19": (10, 5),
        "2020-05-20": (4, 0), "2020-05-21": (3, 0), "2020-05-22": (17, 12),
        "2020-05-23": (0, 0), "2020-05-24": (3, 0), "2020-05-25": (23, 8),
        "2020-05-26": (7, 0)}
SERIES = ["arm64: add IPI/LPI/vtimer latency", "Expose KVM API to Linux Kernel",
          "arm64/cpufeature: Introduce ID_PFR2, ID_DFR1, ID_MMFR5 and other changes",
          "arm64: kvm: Remove obsolete kvm_virt_to_phys abstraction",
          "Enable ptp_kvm for arm64", "kvm: arm64: Support stage2 hardware DBM"]


@pytest.fixture(scope="module")
def may2020(kvmarm: Path, tmp_path_factory: pytest.TempPathFactory) -> Digest:
    """The MAY2020 digest, read from git (no index), with lore links."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        d = make_digest(Archive.open(kvmarm), rev_from=MAY2020[0], rev_to=MAY2020[1],
                        since=None, until=None, name=None, top=15, show_all=False)
    d.link_base = "https://lore.kernel.org/r/"
    return d


def parse_html(text: str):  # type: ignore[no-untyped-def]
    """The page's tree; html5lib in strict mode raises on any parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(text)


def text_of(node) -> str:  # type: ignore[no-untyped-def]
    return "".join(node.itertext()).strip()


def test_html_digest_read_back_with_html5lib(may2020: Digest) -> None:
    tree = parse_html(render_html(may2020))
    assert text_of(tree.find(".//h:h1", NS)) == (
        "kvmarm mailing list update from a24576bae to 4bb346345")
    assert tree.findall(".//h:script", NS) == []
    series = tree.findall(".//h:section[@class='series']", NS)
    titles = [text_of(s.find("h:h3", NS)) for s in series]
    assert titles == [f"{t} {s.state}" for t, s in zip(SERIES, may2020.series, strict=True)]
    patches = [li for s in series for li in s.findall(".//h:li", NS)
               if li.get("class") != "muted"]
    assert len(patches) == 35
    missing = [text_of(li) for s in series for li in s.findall(".//h:li[@class='muted']", NS)]
    assert missing == ["missing: 1-3, 7-17 of 17"]
    # Every patch and entry is linked to lore by its Message-ID.
    links = [a.get("href") for a in tree.findall(".//h:main//h:a", NS)]
    assert ("https://lore.kernel.org/r/"
            "63cf223058e7963891dcfb8cf0c5ccfe31548712.1589784221.git.ananos@nubificus.co.uk"
            in links)
    assert len([a for li in patches for a in li.findall("h:a", NS)]) == 35
    entries = tree.findall(".//h:article[@class='entry']", NS)
    assert text_of(entries[0].find("h:h3", NS)) == "New: arm64: add IPI/LPI/vtimer latency"
    assert len(entries) == len(may2020.entries) == 11


def chart_bars(tree, caption: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The tooltips of the bars of the chart under ``caption``."""
    for fig in tree.findall(".//h:figure", NS):
        if text_of(fig.find("h:figcaption", NS)) == caption:
            return [text_of(r.find("svg:title", NS))
                    for r in fig.findall(".//svg:rect", NS) if "bar" in r.get("class", "")]
    raise AssertionError(f"no chart {caption!r}")


def test_html_charts_hold_one_bar_per_day_and_per_row(may2020: Digest) -> None:
    tree = parse_html(render_html(may2020))
    days = chart_bars(tree, "Messages and patch emails per day")
    assert days == [t for day, (m, p) in DAYS.items()
                    for t in (f"{day}: {m} messages", f"{day}: {p} patch emails")]
    people = chart_bars(tree, "Top 15 contributors (patch emails)")
    assert len(people) == 8
    assert people[0] == "Jianyong Wu <jianyong.wu@arm.com>: 9"
    assert people[-1] == "Thomas Gleixner <tglx@linutronix.de>: 1"
    domains = chart_bars(tree, "Top 15 contributor email domains")
    assert domains == ["huawei.com: 15", "arm.com: 13", "nubificus.co.uk: 3", "kernel.org: 2",
                       "google.com: 1", "linutronix.de: 1"]


@pytest.mark.parametrize("scheme,width", [("light", 1100), ("dark", 390)])
def test_html_in_chromium_requests_nothing_and_draws(  # type: ignore[no-untyped-def]
        browser, may2020: Digest, tmp_path: Path, scheme: str, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    path = tmp_path / "digest.html"
    path.write_text(render_html(may2020), encoding="utf-8")
    url = path.as_uri()

    def route(r) -> None:  # type: ignore[no-untyped-def]
        if r.request.url == url:
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url)
    assert errors == []
    assert requests == []
    assert page.locator("svg.chart").count() == 4  # days, states, contributors, domains
    assert page.locator("svg.columns rect.bar").count() == 20
    states = len({s.state for s in may2020.series})
    assert page.locator("svg.bars rect.bar").count() == states + 8 + 6
    # The page fits a phone: nothing wider than the viewport but the code blocks.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot = page.locator("figure").first.screenshot()
    assert png_colours(shot) > 8  # bars, text and background: not a blank box
    page.screenshot(path=str(Path(os.environ.get("LISTDIGEST_SHOTS", tmp_path))
                             / f"digest-{scheme}.png"))
    page.close()


def test_stats_html_has_a_chart_per_period(kvmarm: Path) -> None:
    # The per-day counts above, by ISO week: W20 is 05-17 (a Sunday), W21 05-18..24,
    # W22 05-25..26.
    result = CliRunner().invoke(cli, ["stats", str(kvmarm), "--from", MAY2020[0], "--to",
                                      MAY2020[1], "--by", "week", "--format", "html"])
    assert result.exit_code == 0, result.output
    tree = parse_html(result.stdout)
    assert chart_bars(tree, "Messages and patch emails per week") == [
        "2020-W20: 7 messages", "2020-W20: 7 patch emails",
        "2020-W21: 62 messages", "2020-W21: 20 patch emails",
        "2020-W22: 30 messages", "2020-W22: 8 patch emails"]
    rows = [[text_of(td) for td in tr.findall("h:td", NS)]
            for tr in tree.findall(".//h:tbody/h:tr", NS)]
    assert rows[-1][:3] == ["total", "99", "35"]


def test_demo_writes_an_html_page(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = CliRunner().invoke(cli, ["demo", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    tree = parse_html(out.read_text(encoding="utf-8"))
    assert text_of(tree.find(".//h:h1", NS)).startswith("Demo mailing list update from ")
    # The demo's ten emails: 7 patch emails in 4 series, by 5 contributors.
    assert len(tree.findall(".//h:section[@class='series']", NS)) == 4
    assert len(chart_bars(tree, "Top 15 contributors (patch emails)")) == 5


def test_pages_link_to_lore_for_the_lists_lore_carries(may2020: Digest) -> None:
    msg = may2020.series[0].messages[0]
    d = Digest(list_name="x", start="a", end="b", by_date=False, top=1, patches=[],
               series=[], domains=[], contributors=[], entries=[], bodies={},
               accounting=Accounting())
    for list_id, link in [("kvm.vger.kernel.org", "https://lore.kernel.org/r/"),
                          ("linux-leds.vger.kernel.org", "https://lore.kernel.org/r/"),
                          ("kvmarm.lists.linux.dev", "https://lore.kernel.org/r/"),
                          ("kvmarm.lists.cs.columbia.edu", None)]:
        d.list_id = list_id
        assert d.web_link(msg) == (link + msg.message_id if link else None), list_id
        assert d.link(msg) is None  # text and JSON link only with --link-base
    d.link_base = "https://mail.example.org/m/"
    assert d.web_link(msg) == "https://mail.example.org/m/" + msg.message_id


def inline_text(token) -> str:  # type: ignore[no-untyped-def]
    """The text a Markdown inline token shows (escapes undone, markup left out)."""
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))


def test_markdown_digest_read_back_with_markdown_it(may2020: Digest) -> None:
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(render_markdown(may2020))
    headings = [(tokens[i].tag, inline_text(tokens[i + 1])) for i, t in enumerate(tokens)
                if t.type == "heading_open"]
    assert headings[0] == ("h1", "kvmarm mailing list update from a24576bae to 4bb346345")
    assert [text for tag, text in headings if tag == "h2"] == [
        "Top 15 contributor email domains", "Top 15 contributors",
        "Patch list in this time period", "Patch commit messages"]
    h3 = [text for tag, text in headings if tag == "h3"]
    assert h3[:6] == SERIES
    assert h3[6] == "New: arm64: add IPI/LPI/vtimer latency"
    assert len(h3) == 6 + 11
    # The tables: cells read back as the text digest's rows.
    cells = [inline_text(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "td_open"]
    assert cells[:4] == ["15", "huawei.com", "13", "arm.com"]
    assert cells[12:14] == ["9", "Jianyong Wu <jianyong.wu@arm.com>"]
    # 35 patch emails listed, each a link to lore; 11 bodies in fenced blocks.
    hrefs = [c.attrs["href"] for t in tokens if t.type == "inline"
             for c in t.children or [] if c.type == "link_open"]
    assert len([h for h in hrefs if h.startswith("https://lore.kernel.org/r/")]) == 35 + 11
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 11
    # The 0/6 cover letter, as the text digest shows it.
    assert fences[0].content.startswith("With the development of arm gic architecture, ")
    assert fences[0].content == may2020.body_text(*may2020.entries[0]) + "\n"


def test_email_digest_read_back_with_the_email_package(may2020: Digest) -> None:
    env = Envelope(sender="KVM digest <digest@example.org>", to=("kvm@example.org",),
                   references=("first@example.org", "second@example.org"))
    raw = as_text(digest_email(may2020, env))
    msg = email.message_from_string(raw, policy=policy.default)
    assert msg["Subject"] == "[kvmarm] mailing list update from a24576bae to 4bb346345"
    assert msg["From"] == "KVM digest <digest@example.org>"
    assert msg["To"] == "kvm@example.org"
    assert msg["Message-ID"] == "<listdigest.kvmarm.a24576bae.4bb346345@example.org>"
    assert msg["In-Reply-To"] == "<second@example.org>"
    assert msg["References"] == "<first@example.org> <second@example.org>"
    assert msg["X-Listdigest-List-Id"] == "<kvmarm.lists.cs.columbia.edu>"
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert email.utils.parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert msg.get_content() == render_text(may2020)
    assert msg.defects == []
    with_html = email.message_from_string(
        as_text(digest_email(may2020, replace(env, html=True))), policy=policy.default)
    assert with_html.get_content_type() == "multipart/alternative"
    plain, page = with_html.iter_parts()
    assert plain.get_content() == render_text(may2020)
    assert page.get_content_type() == "text/html"
    assert page["Content-Transfer-Encoding"] == "quoted-printable"
    tree = parse_html(page.get_content())
    assert len(tree.findall(".//h:section[@class='series']", NS)) == 6


def test_atom_digest_read_back_with_feedparser(may2020: Digest) -> None:
    feed = feedparser.parse(render_atom(may2020), sanitize_html=False)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.id == "tag:kvmarm.lists.cs.columbia.edu,2025:kvmarm"
    [entry] = feed.entries
    assert entry.id == "tag:kvmarm.lists.cs.columbia.edu,2020-05-26:kvmarm/a24576bae..4bb346345"
    assert entry.title == "kvmarm mailing list update from a24576bae to 4bb346345"
    assert entry.updated == "2020-05-26T10:45:07Z"  # the range's newest Date
    assert entry.content[0].type == "text/html"
    tree = html5lib.HTMLParser(strict=True).parseFragment(entry.content[0].value)
    titles = [text_of(s.find("h:h3", NS)) for s in
              tree.findall(".//h:section[@class='series']", NS)]
    assert titles == [f"{t} {s.state}" for t, s in zip(SERIES, may2020.series, strict=True)]
    rows = [[text_of(td) for td in tr.findall("h:td", NS)]
            for tr in tree.findall(".//h:tbody/h:tr", NS)]
    assert rows[:2] == [["15", "huawei.com"], ["13", "arm.com"]]  # tables, not charts
    assert tree.findall(".//svg:svg", NS) == []


@pytest.mark.parametrize("fmt", ["markdown", "email", "atom"])
def test_stats_in_every_format_carry_the_weekly_totals(kvmarm: Path, fmt: str) -> None:
    result = CliRunner().invoke(cli, ["stats", str(kvmarm), "--from", MAY2020[0], "--to",
                                      MAY2020[1], "--by", "week", "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "markdown":
        tokens = MarkdownIt("commonmark").enable("table").parse(result.stdout)
        cells = [inline_text(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "td_open"]
        rows = [cells[i:i + 8] for i in range(0, 32, 8)]
    elif fmt == "email":
        msg = email.message_from_string(result.stdout, policy=policy.default)
        assert msg["Subject"] == (
            "[kvmarm] mailing list statistics from a24576bae to 4bb346345")
        rows = [line.split() for line in msg.get_content().splitlines()[3:7]]
    else:
        feed = feedparser.parse(result.stdout, sanitize_html=False)
        assert not feed.bozo
        tree = html5lib.HTMLParser(strict=True).parseFragment(feed.entries[0].content[0].value)
        rows = [[text_of(td) for td in tr.findall("h:td", NS)]
                for tr in tree.findall(".//h:tbody/h:tr", NS)][:4]
    assert [r[:3] for r in rows] == [["2020-W20", "7", "7"], ["2020-W21", "62", "20"],
                                     ["2020-W22", "30", "8"], ["total", "99", "35"]]


def small_mail(subject: str, n: str, day: int, sender: str, reply_to: str = "",
               body: str = "Text.\n") -> bytes:
    refs = f"In-Reply-To: <{reply_to}>\nReferences: <{reply_to}>\n" if reply_to else ""
    return (f"From: {sender}\nSubject: {subject}\nDate: Mon, {day} Mar 2025 10:00:00 +0000\n"
            f"Message-ID: <{n}>\n{refs}List-Id: <w.lists.linux.dev>\n\n{body}").encode()


def test_pages_show_states_reviewers_and_waiting_series(tmp_path: Path) -> None:
    # A reviewed patch (Bob's Reviewed-by on the 4th), a patch without reply since the
    # 3rd and a newest message on the 12th: the second waits for review (over 7 days).
    diff = "Text.\n---\n w.c | 1 +\n\ndiff --git a/w.c b/w.c\n+x\n"
    inbox = build_archive(tmp_path / "inbox", [
        small_mail("[PATCH] widget: fix", "w1", 3, "Ann <ann@example.org>", body=diff),
        small_mail("[PATCH] gadget: fix", "g1", 3, "Dee <dee@example.org>", body=diff),
        small_mail("Re: [PATCH] widget: fix", "r1", 4, "Bob <bob@example.org>", "w1",
                   "Reviewed-by: Bob Roe <bob@example.org>\n"),
        small_mail("Re: hello", "h1", 12, "Eve <eve@example.org>"),
    ])
    args = ["digest", str(inbox), "--no-history"]
    page = CliRunner().invoke(cli, [*args, "--format", "html"]).stdout
    tree = parse_html(page)
    series = tree.findall(".//h:section[@class='series']", NS)
    assert [text_of(s.find("h:h3", NS)) for s in series] == [
        "widget: fix reviewed", "gadget: fix waiting"]
    assert text_of(series[0].find("h:div[@class='meta reviewers']", NS)) == (
        "Reviewed-by: Bob Roe")
    assert chart_bars(tree, "Series by state") == ["reviewed: 1", "waiting: 1"]
    assert text_of(tree.find(".//h:h2[@id='waiting']", NS)) == "Waiting for review"
    [li] = [x for x in tree.findall(".//h:li", NS) if "sent 2025-03-03" in text_of(x)]
    assert text_of(li) == "gadget: fix \u2013 Dee <dee@example.org>, sent 2025-03-03"
    assert li.find("h:a", NS).get("href") == "https://lore.kernel.org/r/g1"
    md = CliRunner().invoke(cli, [*args, "--format", "markdown"]).stdout
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    texts = [inline_text(t) for t in tokens if t.type == "inline"]
    assert "reviewed · single patch, 1 reply; reviewed" in texts
    assert "Reviewed-by: Bob Roe" in texts
    assert "Waiting for review" in texts
    assert "gadget: fix — Dee <dee@example.org>, sent 2025-03-03" in texts


def test_demo_email_is_quoted_printable_utf8(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--format", "email", "--mail-from",
                                      "Demo digest <digest@example.org>", "--mail-to",
                                      "a@example.org", "--mail-to", "b@example.org"])
    assert result.exit_code == 0, result.output
    assert result.stdout.isascii()
    msg = email.message_from_string(result.stdout, policy=policy.default)
    assert msg["To"] == "a@example.org, b@example.org"
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert "      1  J=C3=B6rg M=C3=BCller <joerg.mueller@example.com>" in result.stdout
    assert "      1  Jörg Müller <joerg.mueller@example.com>" in msg.get_content().splitlines()


def test_a_long_range_draws_a_bar_per_week(may2020: Digest) -> None:
    # 100 days of one message each, every other one a patch email (day n: n % 2).
    start = date(2020, 5, 17)
    spread = [Day((start + timedelta(days=n)).isoformat(), 1, n % 2) for n in range(100)]
    long = replace(may2020, days=spread)
    tree = parse_html(render_html(long))
    bars = chart_bars(tree, "Messages and patch emails per week")
    # 2020-05-17 is the Sunday ending W20; 100 days end on 2020-08-24, a Monday of W35.
    assert bars[:4] == ["2020-W20: 1 messages", "2020-W20: 0 patch emails",
                        "2020-W21: 7 messages", "2020-W21: 4 patch emails"]
    assert bars[-2:] == ["2020-W35: 1 messages", "2020-W35: 1 patch emails"]
    assert len(bars) == 2 * 16


def test_references_keep_the_threads_root_and_the_latest_digests(may2020: Digest) -> None:
    ids = tuple(f"d{n}@example.org" for n in range(12))
    msg = email.message_from_string(as_text(digest_email(may2020, Envelope(references=ids))),
                                    policy=policy.default)
    assert msg["In-Reply-To"] == "<d11@example.org>"
    assert msg["References"].split() == [f"<d{n}@example.org>" for n in (0, *range(3, 12))]


KTD2801 = "https://lore.kernel.org/linux-leds/20240118-ktd2801-v2-0-425cf32e0769@skole.hr/T/#u"


@pytest.mark.parametrize("fmt", ["html", "markdown", "atom", "email"])
def test_series_life_in_every_page_format(leds: Path, leds_db: Path, fmt: str) -> None:
    # The five KTD2801 postings of test_series.py: v1-v4 superseded, v5 applied.
    result = CliRunner().invoke(cli, ["series", str(leds), KTD2801, "--db", str(leds_db),
                                      "--format", fmt, "--mail-html"])
    assert result.exit_code == 0, result.output
    title = "Kinetic ExpressWire library and KTD2801 backlight driver (5 postings)"
    if fmt == "email":
        msg = email.message_from_string(result.stdout, policy=policy.default)
        assert msg["Subject"] == f"[linux-leds] series: {title}"
        assert msg["X-Listdigest-List-Id"] == "<linux-leds.vger.kernel.org>"
        html = msg.get_body(("html",)).get_content()
        assert msg.get_body(("plain",)).get_content().splitlines()[0] == title
    elif fmt == "atom":
        feed = feedparser.parse(result.stdout, sanitize_html=False)
        assert not feed.bozo, feed.bozo_exception
        assert feed.entries[0].title == title
        html = feed.entries[0].content[0].value
    elif fmt == "markdown":
        tokens = MarkdownIt("commonmark").enable("table").parse(result.stdout)
        headings = [inline_text(tokens[i + 1]) for i, t in enumerate(tokens)
                    if t.type == "heading_open"]
        assert headings[0] == title
        assert headings[1:] == [
            "v1 · 2023-10-05 · Kinetic KTD2801 backlight driver",
            "v2 · 2024-01-18 · Kinetic KTD2801 backlight driver",
            "v3 · 2024-01-20 · Kinetic ExpressWire library and KTD2801 backlight driver",
            "v4 · 2024-01-22 · Kinetic ExpressWire library and KTD2801 backlight driver",
            "v5 · 2024-01-25 · Kinetic ExpressWire library and KTD2801 backlight driver"]
        texts = [inline_text(t) for t in tokens if t.type == "inline"]
        assert ("applied by Lee Jones <lee@kernel.org>, 2024-02-01: 25ae5f5f4168, "
                "e59a15af7aa6, 4ac621a418ce, 66c76c1cd984") in texts
        return
    else:
        html = result.stdout
    tree = (parse_html(html) if html.startswith("<!DOCTYPE")
            else html5lib.HTMLParser(strict=True).parseFragment(html))
    versions = tree.findall(".//h:section[@class='series version']", NS)
    assert [text_of(v.find("h:h3", NS)).split(" · ")[0] for v in versions] == [
        "v1", "v2", "v3", "v4", "v5"]
    assert [text_of(v.find(".//h:span[@class]", NS)) for v in versions] == [
        "superseded"] * 4 + ["applied"]
    hrefs = [a.get("href") for a in tree.findall(".//h:a", NS)]
    assert "https://lore.kernel.org/r/20240118-ktd2801-v2-0-425cf32e0769@skole.hr" in hrefs
