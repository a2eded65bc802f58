"""Output for people and for cron: -q/-v on every command, help with examples, whole
JSON tables, link bases that are web addresses."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import COMMANDS, cli
from listdigest.demo import build_archive, demo_messages
from listdigest.stats.contributors import address_table


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo list: 10 messages, 7 patch emails by 5 contributors from 2 domains."""
    return build_archive(tmp_path_factory.mktemp("noise") / "demo", demo_messages())


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_quiet_verbose_and_examples(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "-q, --quiet" in result.stdout
    assert "-v, --verbose" in result.stdout
    assert "Examples:" in result.stdout
    assert f"listdigest {command} " in result.stdout
    assert "README" not in result.stdout


@pytest.mark.parametrize("command", ["digest", "stats"])
def test_range_commands_list_the_date_forms(command: str) -> None:
    out = CliRunner().invoke(cli, [command, "--help"]).stdout
    for form in ("A..B", "2.weeks.ago", "yesterday", "'last monday'", "@1671494400",
                 "'Tue, 13 Jan 2026 10:00:00 +0100'"):
        assert form in out


def test_quiet_and_verbose_together_is_refused(demo: Path) -> None:
    result = CliRunner().invoke(cli, ["digest", str(demo), "-q", "-v"])
    assert result.exit_code == 2
    assert "-q and -v contradict each other" in result.stderr


def test_quiet_index_says_nothing_and_one_commit_is_singular(demo: Path,
                                                             tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    quiet = CliRunner().invoke(cli, ["index", str(demo), "--db", str(db), "-q"])
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    again = CliRunner().invoke(cli, ["index", str(demo), "--db", str(db)])
    assert again.stderr.splitlines()[0] == "listdigest: indexed 0 new commits; 10 in the index"
    one = CliRunner().invoke(cli, ["digest", str(demo), "--since", "2025-03-07T13:00:00Z"])
    # Only "Fri, 7 Mar 2025 14:27:03 +0100" (13:27 UTC), the reply to the discussion.
    assert one.stderr.splitlines() == ["listdigest: demo: 1 commit: 1 message (0 patch emails, "
                                       "1 reply, 0 other, 0 duplicates), 0 skipped"]


def test_json_tables_are_whole_and_top_cuts_the_text(demo: Path) -> None:
    text = CliRunner().invoke(cli, ["stats", str(demo), "--top", "1"]).stdout.splitlines()
    people = text.index("Top 1 contributors (Based on Email Body)")
    assert text[people + 2:people + 4] == ["      3  Maria Ortega <maria.ortega@example.com>", ""]
    data = json.loads(CliRunner().invoke(cli, ["stats", str(demo), "--top", "1",
                                               "--format", "json"]).stdout)
    assert (len(data["contributors"]), len(data["domains"])) == (5, 2)
    digest = json.loads(CliRunner().invoke(cli, ["digest", str(demo), "--top", "1",
                                                 "--format", "json"]).stdout)
    assert [r["count"] for r in digest["contributors"]] == [3, 1, 1, 1, 1]
    assert digest["domains"] == [{"count": 6, "domain": "example.com"},
                                 {"count": 1, "domain": "example.org"}]


def test_link_base_is_a_web_address_normalized(demo: Path) -> None:
    bad = CliRunner().invoke(cli, ["digest", str(demo), "--link-base", "lore.kernel.org/r"])
    assert bad.exit_code == 1
    assert bad.stderr.strip() == ("listdigest: error: link base 'lore.kernel.org/r' is no "
                                  "http:// or https:// address")
    good = CliRunner().invoke(cli, ["digest", str(demo), "--link-base",
                                    "HTTPS://Lore.Example.org/r", "--format", "json"])
    assert good.exit_code == 0, good.stderr
    first = json.loads(good.stdout)["series"][0]["patches"][0]
    assert first["link"] == ("https://lore.example.org/r/"
                             "20250303091501.41235-1-maria.ortega@example.com")


def test_index_list_and_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    runner = CliRunner()
    assert runner.invoke(cli, ["index", "--list"]).stderr == (
        "listdigest: no index in the default folder\n")
    kept, gone = (build_archive(tmp_path / name, demo_messages()) for name in ("kept", "gone"))
    for inbox in (kept, gone):
        assert runner.invoke(cli, ["index", str(inbox)]).exit_code == 0
    shutil.rmtree(gone)
    rows = runner.invoke(cli, ["index", "--list"]).stdout.splitlines()
    assert rows[0].split() == ["list", "archive", "size", "last", "update", "file"]
    assert [r.split()[:2] for r in rows[1:]] == [["gone", str(gone)], ["kept", str(kept)]]
    assert "(gone)" in rows[1] and "(gone)" not in rows[2]
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert re.search(rf"  \d+\.\d MB  {today} \d\d:\d\d UTC  .*/listdigest/index/gone-", rows[1])
    pruned = runner.invoke(cli, ["index", "--prune"])
    assert pruned.exit_code == 0
    assert pruned.stderr.splitlines()[-1] == "listdigest: pruned 1 index"
    index_dir = tmp_path / "xdg" / "listdigest" / "index"
    assert {p.name.split("-")[0] for p in index_dir.iterdir()} == {"kept"}  # db, wal, lock…
    assert [r.split()[0] for r in
            runner.invoke(cli, ["index", "--list"]).stdout.splitlines()] == ["list", "kept"]


def test_tables_sort_quoted_names_on_the_bare_name() -> None:
    people = [("Zed, Adams", "z@x.org"), ("Bob", "b@x.org"), ("Liu, Yi L", "l@x.org"),
              ("Mia", "m@x.org")]
    assert [r.label for r in address_table(people)] == [
        "Bob <b@x.org>", '"Liu, Yi L" <l@x.org>', "Mia <m@x.org>", '"Zed, Adams" <z@x.org>']
