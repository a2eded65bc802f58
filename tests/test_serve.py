"""``listdigest serve`` on the shared kvmarm archive's index and on a small list of hostile
mail, fetched over HTTP by httpx and by a real browser (chromium via Playwright).

Facts checked by hand on the archive (``git show COMMIT:m`` and a plain regex scan of
every message, independent of listdigest's parser):

- ``[PATCH 0/3] KVM: arm64: Fix handling of S1PTW S2 fault on RO memslots`` (Marc
  Zyngier, 2022-12-20) drew 16 replies; 4 of them carry Reviewed-by lines: Oliver Upton
  (twice), Ricardo Koller, Ard Biesheuvel. Its v2 came on 2023-01-03 with 3 patches
  and has no reply in the archive (which ends on 2023-01-06).
- ricarkol@google.com wrote 329 patch emails (in-body From, else From) and gave 19
  review trailers in replies.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import html5lib
import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from test_hostile import MSGID, UNSHOWABLE, XHTML, hostile_mails

from listdigest.cli import cli
from listdigest.cli.serve_cmd import served_lists
from listdigest.demo.build import append_messages, build_archive
from listdigest.index import open_index, update_index
from listdigest.serve import ServedList, create_app
from listdigest.sources.archive import Archive

HOSTILE_CORPUS = Path(__file__).parent / "data" / "hostile"

V1 = "20221220200923.1532710-1-maz@kernel.org"
V2 = "20230103100904.3232426-1-maz@kernel.org"
TITLE = "KVM: arm64: Fix handling of S1PTW S2 fault on RO memslots"

EVIL = "<script>alert(1)</script>"
#: A Message-ID with what URLs, HTML and SQL treat specially (angle brackets end one).
EVIL_ID = "\"q'&amp;?x=1#%2F/../;--@evil.example.org"
HOSTILE = [
    (f"From: \"{EVIL}\" <evil@example.org>\nSubject: [PATCH 1/1] {EVIL} \"quotes\" & "
     "'apostrophes'\nDate: Mon, 3 Mar 2025 09:00:00 +0000\n"
     f"Message-ID: <{EVIL_ID}>\n\n"
     f"<img src=x onerror=alert(2)>\n\nSigned-off-by: {EVIL} <evil@example.org>\n---\n"
     " drivers/<b>bold</b>.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
     "diff --git a/drivers/<b>bold</b>.c b/drivers/<b>bold</b>.c\n"
     "--- a/drivers/<b>bold</b>.c\n+++ b/drivers/<b>bold</b>.c\n@@ -0,0 +1 @@\n+x\n"
     ).encode(),
    (f"From: Rev <rev@example.org>\nSubject: Re: [PATCH 1/1] {EVIL}\n"
     "Date: Mon, 3 Mar 2025 10:00:00 +0000\nMessage-ID: <r@example.org>\n"
     f"In-Reply-To: <{EVIL_ID}>\n\n"
     f"Reviewed-by: \"{EVIL}\" <rev@example.org>\n").encode(),
]


@contextmanager
def running(lists: list[ServedList]) -> Iterator[str]:
    """uvicorn serving ``lists`` on a free port of 127.0.0.1, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(lists), log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> ServedList:
    """A list of hostile mail (markup in names, subjects, Message-IDs, trailers, paths)."""
    root = tmp_path_factory.mktemp("hostile")
    inbox = build_archive(root / "inbox", HOSTILE)
    with open_index(Archive.open(inbox), root / "index.sqlite") as idx:
        update_index(idx)
    return ServedList("evil", "evil <list>", inbox, root / "index.sqlite")


@pytest.fixture(scope="module")
def formats_hostile(tmp_path_factory: pytest.TempPathFactory) -> ServedList:
    """The html format's hostile mail (tests/test_hostile.py) and the hostile corpus
    (tests/data/hostile), as one list."""
    root = tmp_path_factory.mktemp("formats-hostile")
    corpus = [p.read_bytes() for p in sorted(HOSTILE_CORPUS.glob("*.eml"))]
    inbox = build_archive(root / "inbox", [*hostile_mails(), *corpus])
    with open_index(Archive.open(inbox), root / "index.sqlite") as idx:
        update_index(idx)
    return ServedList("evil2", "evil2", inbox, root / "index.sqlite")


@pytest.fixture(scope="module")
def site(kvmarm: Path, kvmarm_db: Path, hostile: ServedList,
         formats_hostile: ServedList) -> Iterator[str]:
    lists = [ServedList("kvmarm", "kvmarm", kvmarm, kvmarm_db, "https://lore.kernel.org/r/"),
             hostile, formats_hostile]
    with running(lists) as base:
        yield base


def get(site: str, path: str, status: int = 200) -> httpx.Response:
    r = httpx.get(site + path, timeout=60)
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "'unsafe-inline'" not in csp and r.headers["x-content-type-options"] == "nosniff"
    return r


def test_series_page_shows_versions_reviewers_and_replies(site: str) -> None:
    data = get(site, f"/kvmarm/series/{V1}?format=json").json()
    assert data["title"] == TITLE
    assert [(v["version"], v["date"][:10], v["patches"], v["this"]) for v in data["versions"]] \
        == [(1, "2022-12-20", 3, True), (2, "2023-01-03", 3, False)]
    assert data["reviewers"] == {"Reviewed-by": [
        "Oliver Upton <oliver.upton@linux.dev>", "Ricardo Koller <ricarkol@google.com>",
        "Ard Biesheuvel <ardb@kernel.org>"]}
    assert data["reviews"] == {"Reviewed-by": 4}
    assert data["state"] == "superseded"  # by v2
    assert len(data["replies"]) == 16
    assert [p["subject"] for p in data["patches"]][1:] == [
        "[PATCH 1/3] KVM: arm64: Fix S1PTW handling on RO memslots",
        "[PATCH 2/3] KVM: arm64: Handle S1PTW translation with TCR_HA set as a write",
        "[PATCH 3/3] KVM: arm64: Convert FSC_* over to ESR_ELx_FSC_*"]
    assert data["patches"][1]["diffstat"] == {"files": 1, "insertions": 20, "deletions": 2}
    assert data["patches"][0]["link"] == f"https://lore.kernel.org/r/{V1}"
    page = get(site, f"/kvmarm/series/{V2}").text
    assert f"<h1>{TITLE}</h1>" in page
    assert f'href="/kvmarm/series/{V1}">v1</a>' in page and "v2 (this)" in page
    assert '<span class="state waiting">waiting</span>' in page
    assert "Replies (0)" in page and f'<a href="https://lore.kernel.org/r/{V2}">lore</a>' in page


def test_series_versions_are_the_digests_history(leds: Path, leds_db: Path) -> None:
    # Duje Mihanović's KTD2801 driver: v1 and v2 "Kinetic KTD2801 backlight driver", v3 to
    # v5 "Kinetic ExpressWire library and KTD2801 backlight driver", one change-id. The
    # page lists all five, as the digest's history does (tests/test_series.py), not only
    # the postings of v3's subject text.
    from listdigest.serve.store import find_series, reading

    with reading(ServedList("leds", "linux-leds", leds, leds_db)) as idx:
        view = find_series(idx, "20240120-ktd2801-v3-0-fe2cbafffb21@skole.hr")
    assert view is not None
    assert [(v.version, v.patches, v.subject) for v in view.versions] == [
        (1, 2, "[PATCH 0/2] Kinetic KTD2801 backlight driver"),
        (2, 2, "[PATCH v2 0/2] Kinetic KTD2801 backlight driver"),
        (3, 3, "[PATCH v3 0/3] Kinetic ExpressWire library and KTD2801 backlight driver"),
        (4, 3, "[PATCH v4 0/3] Kinetic ExpressWire library and KTD2801 backlight driver"),
        (5, 4, "[PATCH v5 0/4] Kinetic ExpressWire library and KTD2801 backlight driver")]
    assert view.series.state == "superseded"


def test_series_page_reads_commit_messages_from_git_on_demand(site: str) -> None:
    plain = get(site, f"/kvmarm/series/{V2}?format=json").json()
    assert "body" not in plain["patches"][0]
    data = get(site, f"/kvmarm/series/{V2}?bodies=1&format=json").json()
    assert data["patches"][1]["body"].startswith("A recent development on the EFI front")


def test_person_page_counts_series_sent_and_reviews_given(site: str) -> None:
    data = get(site, "/kvmarm/person/ricarkol@google.com?format=json").json()
    assert (data["name"], data["patch_emails"], len(data["reviews"])) == (
        "Ricardo Koller", 329, 19)
    assert sum(p["reviews"] for p in data["periods"]) == 19
    assert [p["period"] for p in data["periods"]] == ["2021", "2022"]
    page = get(site, "/kvmarm/person/ricarkol@google.com").text
    assert "<h1>Ricardo Koller</h1>" in page and "19 reviews given" in page


def test_search_finds_a_known_subject_and_nothing_for_nonsense(site: str) -> None:
    data = get(site, "/kvmarm/search?q=S1PTW+author:maz&format=json").json()
    titles = [s["title"] for s in data["series"]]
    assert titles[:2] == [TITLE, TITLE]
    assert [s["version"] for s in data["series"][:2]] == [2, 1]
    by_path = get(site, "/kvmarm/search?q=path:arch/arm64/kvm/mmu.c+since:2022-12-20"
                        "+until:2022-12-20&format=json").json()
    assert [s["message_id"] for s in by_path["series"]] == [V1]
    superseded = get(site, "/kvmarm/search?q=S1PTW+author:maz+state:superseded&format=json")
    assert [(s["date"][:10], s["title"]) for s in superseded.json()["series"]] == [
        ("2022-12-20", TITLE),
        ("2020-09-09", "KVM: arm64: Assume write fault on S1PTW permission fault on "
                       "instruction fetch")]  # posted again as 1/2 on 2020-09-18
    waiting = get(site, "/kvmarm/search?q=S1PTW+author:maz+state:waiting&format=json").json()
    assert [s["date"][:10] for s in waiting["series"]] == ["2023-01-03", "2020-09-18"]
    none = get(site, "/kvmarm/search?q=zyxwvutsrq&format=json").json()
    assert (none["total"], none["series"]) == (0, [])
    assert "0 series match" in get(site, "/kvmarm/search?q=zyxwvutsrq").text


def test_home_digest_and_statistics(site: str) -> None:
    home = get(site, "/kvmarm/?format=json").json()
    assert home["weeks"][0] == {"week": "2023-W01", "start": "2023-01-02", "messages": 41,
                                "patch_emails": 11, "replies": 28, "contributors": 2,
                                "digest": "/kvmarm/digest?since=2023-01-02&until=2023-01-08"}
    assert sum(m["messages"] for m in home["activity"]) == 21367
    page = get(site, "/kvmarm/").text
    assert '<svg class="chart columns"' in page and 'action="/kvmarm/search"' in page
    week = get(site, home["weeks"][0]["digest"] + "&format=json").json()
    assert week["summary"]["messages"] == 41
    html = get(site, "/kvmarm/digest?from=a24576bae834&to=4bb3463450ec").text
    assert "kvmarm mailing list update from a24576bae to 4bb346345" in html
    stats = get(site, "/kvmarm/stats?by=year&format=json").json()
    assert [p["period"] for p in stats["periods"]] == ["2019", "2020", "2021", "2022", "2023"]
    assert stats["total"]["messages"] == 21366  # one Message-ID twice, counted once
    # The figures of `listdigest stats` from the same index (both aggregated in SQL).
    months = get(site, "/kvmarm/stats?by=month&since=2022-01-01&until=2022-03-31"
                       "&format=json").json()
    assert [(p["period"], p["series"], p["messages"]) for p in months["periods"]] == [
        ("2022-01", 35, 665), ("2022-02", 33, 554), ("2022-03", 44, 545)]
    assert (months["total"]["series"], months["total"]["reviews"]) == (112, 191)


@pytest.mark.parametrize(("path", "status"), [
    ("/kvmarm/series/no-such-message@example.org", 404),
    ("/kvmarm/person/nobody@example.org", 404),
    ("/nolist/", 404),
    ("/kvmarm/digest?since=not-a-date", 400),
    ("/kvmarm/digest?since=2022-12-20&until=2022-12-01", 400),
    ("/kvmarm/digest?since=2022-01-01&from=a24576bae834", 400),
    ("/kvmarm/digest?from=0000000000", 404),
    ("/kvmarm/digest", 400),
    ("/kvmarm/search?q=kvm&page=99999999999999999999", 400),
    ("/kvmarm/search?q=kvm&page=900", 404),
    ("/kvmarm/search?q=colour:red", 400),
    ("/kvmarm/search?q=kvm+state:forgotten", 400),
    ("/kvmarm/search?q=since:notadate", 400),
    ("/kvmarm/stats?by=fortnight", 400),
    ("/kvmarm/?format=xml", 400),
])
def test_bad_parameters_answer_a_short_page(site: str, path: str, status: int) -> None:
    r = get(site, path, status)
    assert "Traceback" not in r.text and len(r.text) < 10_000
    assert f"<h1>{status} " in r.text


def test_hostile_mail_is_escaped_on_every_page(site: str) -> None:
    mid = quote(EVIL_ID, safe="@")
    pages = ["/evil/", f"/evil/series/{mid}", f"/evil/series/{mid}?bodies=1",
             "/evil/person/evil@example.org", "/evil/person/rev@example.org",
             "/evil/search?q=" + "%3Cscript%3E", "/evil/search?q=path:drivers",
             "/evil/digest?since=2025-03-01&until=2025-03-07", "/evil/stats", "/"]
    for path in pages:
        text = get(site, path).text
        assert "<script" not in text and "<img" not in text and "<b>" not in text, path
    series = get(site, f"/evil/series/{mid}?bodies=1").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in series
    assert "&lt;img src=x onerror=alert(2)&gt;" in series
    assert ("Reviewed-by: &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; &lt;rev@example.org&gt;"
            in series)
    found = get(site, "/evil/search?q=path:drivers/b&format=json").json()
    assert found["total"] == 1


def test_the_html_formats_hostile_mail_through_every_page(site: str) -> None:
    pages = ["/evil2/", f"/evil2/series/{quote(MSGID, safe='@')}?bodies=1",
             "/evil2/person/mallory@evil.example", "/evil2/search?q=alert",
             "/evil2/search?q=author:mallory", "/evil2/digest?since=1970-01-01",
             "/evil2/stats?by=month"]
    for path in pages:
        tree = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(
            get(site, path).text)
        for el in tree.iter():
            tag = el.tag.replace(XHTML, "") if isinstance(el.tag, str) else ""
            assert tag not in ("script", "img", "iframe", "object", "b"), (path, tag)
            assert not [a for a in el.attrib if a.lower().startswith("on")], (path, el.attrib)
            if tag == "a":
                href = el.get("href", "")
                assert href.startswith(("/", "https://lore.kernel.org/r/")), (path, href)
        text = "".join(tree.itertext())
        assert not UNSHOWABLE.search(text), path
    series = get(site, f"/evil2/series/{quote(MSGID, safe='@')}?format=json").json()
    assert len(series["patches"]) == 2
    page = get(site, f"/evil2/series/{quote(MSGID, safe='@')}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x" in page


def test_a_config_names_the_lists_to_serve(kvmarm: Path, kvmarm_db: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "lists.toml"
    config.write_text(f'output = "{tmp_path}"\nlink_base = "https://lore.kernel.org/r/"\n'
                      f'[lists.arm]\nname = "KVM/arm"\narchive = "{kvmarm}"\n'
                      f'db = "{kvmarm_db}"\n')
    (lst,) = served_lists((), str(config), None, None)
    assert (lst.key, lst.name, lst.db, lst.link_base) == (
        "arm", "KVM/arm", kvmarm_db, "https://lore.kernel.org/r/")
    # A list whose table is wrong is said and left out; the others are still served.
    config.write_text(config.read_text() + f'[lists.bad]\narchive = "{kvmarm}"\ntop = 0\n')
    (lst,) = served_lists((), str(config), None, None)
    assert lst.key == "arm"
    assert capsys.readouterr().err == (f"listdigest: error: {config}: [lists.bad]: top must "
                                       "be a positive whole number (bad is not run)\n")


def test_new_messages_show_without_a_restart(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", HOSTILE[:1])
    db = tmp_path / "index.sqlite"
    with open_index(Archive.open(inbox), db) as idx:
        update_index(idx)
    with running([ServedList("l", "l", inbox, db)]) as base:
        assert get(base, "/l/search?q=frobnicate&format=json").json()["total"] == 0
        append_messages(inbox, [HOSTILE[0].replace(b"1/1] ", b"1/1] frobnicate ")
                                .replace(b"evil.example", b"new.example")])
        with open_index(Archive.open(inbox), db) as idx:
            update_index(idx)
        assert get(base, "/l/search?q=frobnicate&format=json").json()["total"] == 1
        sqlite3.connect(db).execute("UPDATE meta SET value = 'x' WHERE key = 'fingerprint'"
                                    ).connection.commit()
        r = get(base, "/l/", 503)
        assert "made by another version of listdigest" in r.text


def test_the_command_serves_on_localhost_and_needs_an_index(kvmarm: Path, kvmarm_db: Path,
                                                            tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["serve", str(kvmarm), "--db", str(tmp_path / "no")])
    assert missing.exit_code == 1
    assert "listdigest: error: no index of kvmarm at" in missing.stderr
    script = CliRunner().invoke(cli, ["serve", str(kvmarm), "--db", str(kvmarm_db),
                                      "--link-base", "javascript:alert(1)//"])
    assert "is no http:// or https:// address" in script.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = Path(sys.executable).parent / "listdigest"
    proc = subprocess.Popen([str(command), "serve", str(kvmarm),
                             "--db", str(kvmarm_db), "--port", str(port)],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == f"listdigest: serving on http://127.0.0.1:{port}/\n"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/?format=json", timeout=10)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert r.json() == {"lists": [{"key": "kvmarm", "name": "kvmarm", "url": "/kvmarm/"}]}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_browser_follows_a_series_link_and_searches(site: str, browser,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}")
            if r.status >= 400 else None)
    page.goto(site + "/kvmarm/")
    assert page.inner_text("h1") == "kvmarm"
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    page.click(f"a[href='/kvmarm/series/{V2}']")
    page.wait_for_load_state()
    assert page.inner_text("h1") == TITLE
    page.screenshot(path=str(tmp_path / "series.png"), full_page=True)
    page.fill("input[name=q]", "S1PTW author:maz")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/kvmarm/search?q=S1PTW+author%3Amaz")
    assert page.inner_text("main").count(TITLE) == 2
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    page.goto(site + "/evil/series/" + quote(EVIL_ID, safe="@"))
    assert EVIL in page.inner_text("h1")
    page.close()
    assert problems == []
