"""Hostile mail (tests/data/hostile/*.eml, written for these tests) through every command
and format: each gives a result, never a traceback, and the index path gives what the
git path gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lore import Lore

from listdigest.cli import cli
from listdigest.demo import build_archive

HOSTILE = Path(__file__).parent / "data" / "hostile"
#: The account of the corpus, checked by hand: 16-no-ids and 18-junk-charset are
#: "other" (no PATCH tag survives), 03-unicode-escape is the one reply; year 0, the
#: end of 9999 west of UTC, a +9999 zone and "yesterday" fall back to the commit time.
SUMMARY = ("listdigest: inbox: 18 commits: 18 messages (15 patch emails, 1 reply, 2 other,"
           " 0 duplicates), 0 skipped; 4 with a bad or future Date (commit time used)")


def corpus() -> list[bytes]:
    return [p.read_bytes() for p in sorted(HOSTILE.glob("*.eml"))]


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("hostile") / "inbox", corpus())


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    return result


def patches(data: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {p["message_id"]: p for s in data["series"] for p in s["patches"]}


@pytest.mark.parametrize("args", [
    ["digest"], ["digest", "--format", "json"], ["digest", "--all"],
    *(["digest", "--format", f, "--until", "9999-12-31"]
      for f in ("markdown", "html", "email", "atom")),
    ["digest", "--until", "9999-12-31"], ["digest", "--since", "0001-01-01", "--format", "json"],
    ["stats"], ["stats", "--format", "json", "--by", "week"], ["stats", "--by", "month"],
])
def test_every_command_reads_every_message(hostile: Path, args: list[str]) -> None:
    result = run(args[0], str(hostile), *args[1:])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == SUMMARY


def test_index_path_gives_the_git_path_answer(hostile: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "hostile.sqlite")
    built = run("index", str(hostile), "--db", db)
    assert built.exit_code == 0
    assert "listdigest: indexed 18 new commits; 18 in the index" in built.stderr
    for args in (["digest", "--format", "json", "--all"], ["stats", "--format", "json"],
                 ["digest", "--since", "2025-03-03", "--until", "2025-03-03"]):
        from_git = run(args[0], str(hostile), *args[1:])
        from_index = run(args[0], str(hostile), *args[1:], "--db", db)
        assert from_index.stdout == from_git.stdout
        assert from_index.stderr == from_git.stderr


def test_what_the_hostile_messages_say(hostile: Path) -> None:
    data = json.loads(run("digest", str(hostile), "--format", "json", "--all").stdout)
    p = patches(data)
    # utf-7 that decodes to a lone surrogate: the surrogate becomes U+FFFD.
    assert p["utf7-subject@hostile"]["subject"] == "[PATCH 1/2] lone\ufffdsurrogate in subject"
    assert (p["utf7-subject@hostile"]["counter"], p["utf7-subject@hostile"]["total"]) == (1, 2)
    body = {e["message_id"]: e["body"] for e in data["entries"]}
    assert body["utf7-body@hostile"].startswith("The body \ufffd holds a lone high surrogate,"
                                                " \ufffd a low one.")
    # Numbers too big for a counter, a version or a diffstat are plain tags.
    assert p["total-1e8@hostile"]["counter"] is None
    assert p["total-1e8@hostile"]["tags"] == ["PATCH", "1/100000000"]
    assert p["beyond-64-bits@hostile"]["version"] == 1
    assert p["beyond-64-bits@hostile"]["diffstat"] is None
    assert p["thousand-digits@hostile"]["counter"] is None
    assert p["thousand-digits@hostile"]["diffstat"] is None
    # CR-only line endings are lines.
    cr = p["cr-only@hostile"]
    assert cr["subject"] == "[PATCH] lines that end in CR alone"
    assert cr["diffstat"] == {"files": 1, "insertions": 1, "deletions": 1}
    assert cr["trailers"] == [["Signed-off-by", "Hostile Sender <hostile@example.com>"]]
    # Dates at the edges fall back to the commit time, said so.
    assert p["year-zero@hostile"]["date_from_header"] is False
    assert p["year-9999@hostile"]["date_from_header"] is False
    # Long runs of blanks and bracket groups, a long line of " changed", a long fold.
    assert p["blank-runs@hostile"]["author"] == {"name": "Blank Runs",
                                                 "address": "blank@example.com"}
    assert p["many-brackets@hostile"]["counter"] == 1
    assert p["many-changed@hostile"]["diffstat"] == {"files": 2, "insertions": 3,
                                                     "deletions": 0}
    assert p["folded-inbody@hostile"]["author"]["address"] == "real@example.com"


def test_update_and_mirror_publish_the_hostile_corpus(lore: Lore, tmp_path: Path) -> None:
    shutil.rmtree(lore.root / "git")
    build_archive(lore.root, corpus())
    mirrored = run("mirror", lore.url, str(tmp_path / "mirror"), "--db",
                   str(tmp_path / "m.sqlite"))
    assert mirrored.exit_code == 0
    assert "listdigest: indexed 18 new commits; 18 in the index" in mirrored.stderr
    config = tmp_path / "lists.toml"
    config.write_text(f'output = "{tmp_path}/out"\nformats = ["text", "json"]\n'
                      f'[lists.hostile]\nurl = "{lore.url}"\narchive = "{tmp_path}/list"\n'
                      f'since = "2000-01-01"\ndb = "{tmp_path}/u.sqlite"\n')
    updated = run("update", "--config", str(config))
    assert updated.exit_code == 0
    summary = SUMMARY.replace(" inbox: ", " hostile: ")  # after the log line's timestamp
    assert any(line.endswith(summary) for line in updated.stderr.splitlines())
    (json_file,) = (tmp_path / "out" / "hostile").glob("hostile-*.json")
    data = json.loads(json_file.read_text())
    assert data["summary"]["patch_emails"] == 15
    assert len(patches(data)) == 15
