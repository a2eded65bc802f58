"""Hostile mail through every format: markup, attribute breakouts, ``javascript:``
URLs, bidi and control characters and NUL bytes in subjects, names, addresses,
Message-IDs and bodies. Each output is read with a real parser of its format and
must hold the hostile text as text, never as markup, and none of the characters no
page may show."""

from __future__ import annotations

import email
import re
import xml.etree.ElementTree as ET
from email import policy
from pathlib import Path

import feedparser
import html5lib
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from listdigest.cli import cli
from listdigest.cli.digest_cmd import make_digest
from listdigest.demo import build_archive
from listdigest.digest import Digest
from listdigest.render.atom import render_atom
from listdigest.render.email_message import Envelope, as_text, digest_email
from listdigest.render.html import render_html
from listdigest.render.markdown import render_markdown
from listdigest.sources.archive import Archive

XHTML = "{http://www.w3.org/1999/xhtml}"
SUBJECT = '<script>alert(1)</script> "><img src=x onerror=alert(2)> \u202eevil\u202c'
COVER = "](javascript:alert(8)) **bold** | pipe `tick` <b>x</b> &amp; [link](javascript:x)"
NAME = '"<img src=x onerror=alert(3)>" '
MSGID = 'x"onmouseover=alert(4)"javascript:alert(5)@evil.example'
BODY = ("Hello <script>alert(6)</script> javascript:alert(7) ``` ```` </pre></entry>]]>\n"
        "nul:\x00 esc:\x1b[31m bell:\x07 rlo:\u202e fsi:\u2068 end\n")
UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def hostile_mails() -> list[bytes]:
    cover = (f"From: {NAME}<mallory@evil.example>\nSubject: [PATCH 0/1] {COVER}\n"
             f"Date: Mon, 7 Apr 2025 10:00:00 +0000\nMessage-ID: <{MSGID}>\n"
             "List-Id: <evil.lists.linux.dev>\nContent-Type: text/plain; charset=utf-8\n"
             f"\n{BODY}").encode()
    patch = (f"From: {NAME}<mallory@evil.example>\nSubject: [PATCH 1/1] {SUBJECT}\n"
             "Date: Mon, 7 Apr 2025 10:01:00 +0000\nMessage-ID: <p1\x00@evil.example>\n"
             f"In-Reply-To: <{MSGID}>\nReferences: <{MSGID}>\n"
             "List-Id: <evil.lists.linux.dev>\nContent-Type: text/plain; charset=utf-8\n"
             f"\n{BODY}---\n a.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
             "diff --git a/a.c b/a.c\n").encode()
    return [cover, patch]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    root = tmp_path_factory.mktemp("hostile")
    inbox = build_archive(root / "evil", hostile_mails())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(root / "xdg"))
        d = make_digest(Archive.open(inbox), rev_from=None, rev_to=None, since=None,
                        until=None, name=None, top=15, show_all=True)
    assert len(d.series) == 1 and len(d.series[0].messages) == 2
    return d


def check_html_tree(root, d: Digest) -> str:  # type: ignore[no-untyped-def]
    """No script, no event handler, no link but lore's; returns the text shown."""
    for el in root.iter():
        tag = el.tag.replace(XHTML, "") if isinstance(el.tag, str) else ""
        assert tag not in ("script", "img", "iframe", "object", "b"), tag
        assert not [a for a in el.attrib if a.lower().startswith("on")], el.attrib
        if tag == "a":
            assert el.get("href", "").startswith("https://lore.kernel.org/r/"), el.attrib
    text = "".join(root.itertext())
    assert not UNSHOWABLE.search(text)
    return text


def test_html_shows_hostile_mail_as_text(hostile: Digest) -> None:
    page = render_html(hostile)
    assert not UNSHOWABLE.search(page)
    tree = html5lib.HTMLParser(strict=True).parse(page)
    text = check_html_tree(tree, hostile)
    assert '<script>alert(1)</script> "><img src=x onerror=alert(2)> evil' in text
    assert "Hello <script>alert(6)</script> javascript:alert(7)" in text
    hrefs = [a.get("href") for a in tree.iter(f"{XHTML}a")]
    assert ("https://lore.kernel.org/r/x%22onmouseover=alert(4)%22javascript:alert(5)"
            "@evil.example") in hrefs


def test_html_runs_nothing_in_chromium(browser, hostile: Digest, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(d.message), d.dismiss()))
    page.on("console", lambda m: events.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: events.append(r.url) if not r.url.startswith("file:") else None)
    path = tmp_path / "evil.html"
    path.write_text(render_html(hostile), encoding="utf-8")
    page.goto(path.as_uri())
    page.hover("h1")
    for link in page.locator("a").all()[:4]:
        link.hover()
    assert events == []
    assert page.locator("script, img").count() == 0
    page.close()


def test_markdown_shows_hostile_mail_as_text(hostile: Digest) -> None:
    md = render_markdown(hostile)
    assert not UNSHOWABLE.search(md)
    html = MarkdownIt("commonmark").enable("table").render(md)  # raw HTML allowed: none passes
    root = html5lib.HTMLParser(strict=False).parseFragment(html)
    text = check_html_tree(root, hostile)
    assert '[PATCH 1/1] <script>alert(1)</script> "><img src=x onerror=alert(2)> evil' in text
    assert "[PATCH 0/1] ](javascript:alert(8)) **bold** | pipe `tick` <b>x</b> &amp; " \
           "[link](javascript:x)" in text
    # The bodies stay whole inside their fences, backtick runs and all.
    assert text.count("Hello <script>alert(6)</script> javascript:alert(7) ``` ```` ") == 2


def test_atom_shows_hostile_mail_as_text(hostile: Digest) -> None:
    feed_text = render_atom(hostile)
    ET.fromstring(feed_text)  # well-formed XML: no control character survived
    feed = feedparser.parse(feed_text, sanitize_html=False)
    assert not feed.bozo, feed.bozo_exception
    content = feed.entries[0].content[0].value
    root = html5lib.HTMLParser(strict=True).parseFragment(content)
    text = check_html_tree(root, hostile)
    assert '<script>alert(1)</script> "><img src=x onerror=alert(2)> evil' in text


def test_email_carries_hostile_mail_in_its_body_only(hostile: Digest) -> None:
    hostile.list_name = "evil\r\nBcc: victim@example.org"
    try:
        raw = as_text(digest_email(hostile, Envelope(sender="d@example.org",
                                                     to=("r@example.org",), html=True)))
    finally:
        hostile.list_name = "evil"
    msg = email.message_from_string(raw, policy=policy.default)
    assert sorted(msg.keys()) == sorted([
        "From", "To", "Subject", "Date", "Message-ID", "X-Listdigest-List-Id",
        "MIME-Version", "Content-Type"])
    assert msg["Subject"].startswith("[evil Bcc: victim@example.org] mailing list update")
    assert msg.defects == []
    plain = msg.get_body(("plain",)).get_content()
    assert not UNSHOWABLE.search(plain)
    assert '<script>alert(1)</script> "><img src=x onerror=alert(2)> evil' in plain
    page = msg.get_body(("html",)).get_content()
    check_html_tree(html5lib.HTMLParser(strict=True).parse(page), hostile)


def test_a_link_base_must_be_a_web_address(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "evil", hostile_mails())
    result = CliRunner().invoke(cli, ["digest", str(inbox), "--format", "html",
                                      "--link-base", "javascript:alert(1)//"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "listdigest: error: link base 'javascript:alert(1)//' is no http:// or https:// address"]
    config = tmp_path / "lists.toml"
    config.write_text(f'output = "{tmp_path}/out"\nlink_base = "javascript:x"\n'
                      f'[lists.evil]\narchive = "{inbox}"\n')
    result = CliRunner().invoke(cli, ["update", "--config", str(config)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].endswith(
        "the top level: link_base must be an http:// or https:// address")
