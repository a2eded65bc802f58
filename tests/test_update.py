"""``listdigest update``: follow lists from a TOML config and publish what is new."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lore import Lore, add_messages, git_out

from listdigest.cli import cli
from listdigest.demo import build_archive, demo_messages
from listdigest.demo.build import append_messages


def patch(n: int) -> bytes:
    return (f"From: Dev {n} <dev{n}@example.org>\nSubject: [PATCH] fix {n}\n"
            f"Date: Mon, 7 Apr 2025 10:{n:02d}:00 +0000\nMessage-ID: <fix-{n}@example.org>\n"
            f"\nFix {n}.\n\nSigned-off-by: Dev {n} <dev{n}@example.org>\n").encode()


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "lists.toml"
    path.write_text(body)
    return path


def run(config: Path, *names: str) -> Result:
    return CliRunner().invoke(cli, ["update", "--config", str(config), *names])


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    build_archive(tmp_path / "demo", demo_messages())
    return write_config(tmp_path, f"""
output = "{tmp_path}/out"
formats = ["text", "json"]
link_base = "https://lore.example.org/r/"

[lists.demo]
name = "Demo"
archive = "{tmp_path}/demo"
db = "{tmp_path}/demo.sqlite"
since = "2025-03-01"
""")


def test_update_twice_in_a_row_writes_once(demo_config: Path, tmp_path: Path) -> None:
    first = run(demo_config)
    assert first.exit_code == 0, first.output
    tip = git_out(tmp_path / "demo" / "git" / "0.git", "rev-parse", "HEAD")
    files = sorted(p.name for p in (tmp_path / "out" / "demo").iterdir())
    assert [f.split("-", 4)[-1] for f in files] == [f"{tip[:9]}.json", f"{tip[:9]}.txt"]
    text = next((tmp_path / "out" / "demo").glob("*.txt")).read_text()
    root = git_out(tmp_path / "demo" / "git" / "0.git", "rev-list", "--max-parents=0", "HEAD")
    # Never "now": the newest message is dated Fri, 7 Mar 2025 14:27:03 +0100; the
    # commits are those of the first and last message selected.
    assert text.splitlines()[:2] == [f"From 2025-03-01 to 2025-03-07 ({root[:9]}..{tip[:9]})",
                                     "Demo mailing list update from 2025-03-01 to 2025-03-07"]
    assert "      3  Maria Ortega <maria.ortega@example.com>" in text
    assert ("  link: https://lore.example.org/r/20250303091501.41235-1-maria.ortega@example.com"
            in text.splitlines())
    second = run(demo_config)
    assert second.exit_code == 0
    (line,) = second.stderr.splitlines()  # a log line: UTC time, then the list's key
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ listdigest: demo: no new messages",
                        line), line
    assert len(list((tmp_path / "out" / "demo").iterdir())) == 2


def test_update_publishes_only_the_new_messages(demo_config: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "demo"
    assert run(demo_config).exit_code == 0
    old_tip = git_out(inbox / "git" / "0.git", "rev-parse", "HEAD")
    new = append_messages(inbox, [patch(1), patch(2)])
    result = run(demo_config)
    assert result.exit_code == 0, result.output
    assert "demo: indexed 2 new commits" in result.stderr
    assert ("listdigest: demo: 2 commits: 2 messages (2 patch emails, 0 replies, 0 other,"
            " 0 duplicates), 0 skipped") in result.stderr
    out = tmp_path / "out" / "demo"
    latest = json.loads(next(out.glob(f"*-{new[-1][:9]}.json")).read_text())
    assert latest["range"] == {"by": "commit", "from": old_tip[:9], "to": new[-1][:9],
                               "since": "2025-04-07T10:01:00Z", "until": "2025-04-07T10:02:00Z",
                               "first_commit": None, "last_commit": None}
    assert [s["title"] for s in latest["series"]] == ["fix 1", "fix 2"]
    assert len(list(out.iterdir())) == 4


def test_interrupted_update_loses_nothing(demo_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    tip = git_out(tmp_path / "demo" / "git" / "0.git", "rev-parse", "HEAD")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    blocker = out / "demo" / f"demo-{stamp}-{tip[:9]}.json"
    blocker.mkdir(parents=True)  # a folder where the JSON digest should go
    failed = run(demo_config)
    assert failed.exit_code == 1
    assert failed.stderr.splitlines()[-1].endswith(
        f"listdigest: error: demo: cannot write {blocker}: Is a directory")
    blocker.rmdir()  # the trouble is fixed: the same digest is written now
    again = run(demo_config)
    assert again.exit_code == 0
    text = next((out / "demo").glob("*.txt")).read_text()
    assert "      3  Maria Ortega <maria.ortega@example.com>" in text


def test_update_mirrors_from_a_url_then_fetches(lore: Lore, tmp_path: Path) -> None:
    config = write_config(tmp_path, f"""
output = "{tmp_path}/out"

[lists.test]
url = "{lore.url}"
archive = "{tmp_path}/mirror"
db = "{tmp_path}/test.sqlite"
since = "2000-01-01"
""")
    first = run(config)
    assert first.exit_code == 0, first.output
    assert f"test: mirrored {lore.url} into {tmp_path}/mirror" in first.stderr
    assert "test: indexed 7 new commits" in first.stderr
    epoch1 = lore.root / "git" / "1.git"
    tip = add_messages(epoch1, [8, 9], git_out(epoch1, "rev-parse", "HEAD"))
    second = run(config)
    assert second.exit_code == 0, second.output
    assert "test: indexed 2 new commits" in second.stderr
    text = next((tmp_path / "out" / "test").glob(f"*-{tip[:9]}.txt")).read_text()
    assert [line for line in text.splitlines() if line.startswith("  [PATCH]")] == [
        "  [PATCH] change 8 - Dev 8 <dev8@example.org>",
        "  [PATCH] change 9 - Dev 9 <dev9@example.org>",
    ]


@pytest.mark.parametrize(("body", "message"), [
    ("", "no [lists.NAME] table"),
    ("output = 1\ncolour = 'red'\n[lists.a]\narchive='x'\n",
     "unknown key 'colour' in the top level"),
    ("output = 'o'\n[lists.a]\n", "[lists.a] needs an archive folder or a url"),
    ("output = 'o'\n[lists.a]\narchive = 'x'\nformats = ['pdf']\n",
     "[lists.a]: formats must be a list of text, json"),
    ("[lists.a]\narchive = 'x'\n", '[lists.a] needs an output folder (output = "…")'),
    ("output = [", "cannot read"),
])
def test_config_mistakes_are_one_line(tmp_path: Path, body: str, message: str) -> None:
    result = run(write_config(tmp_path, body))
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_missing_config_and_unknown_list(demo_config: Path, tmp_path: Path) -> None:
    missing = run(tmp_path / "nope.toml")
    assert missing.stderr == f"listdigest: error: no config file: {tmp_path}/nope.toml\n"
    unknown = run(demo_config, "kvm")
    assert unknown.stderr == "listdigest: error: no list 'kvm' in the config\n"
    assert not os.path.exists(tmp_path / "out")


def test_two_configs_following_one_archive_each_get_every_digest(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "demo", demo_messages())
    configs = [write_config(tmp_path / name, f"""
output = "{tmp_path}/{name}"
[lists.demo]
archive = "{inbox}"
db = "{tmp_path}/shared.sqlite"
since = "2025-03-01"
""") for name in ("a", "b") if (tmp_path / name).mkdir() is None]
    for config in configs:
        assert run(config).exit_code == 0
    new = append_messages(inbox, [patch(1)])
    for config in configs:  # each config's position is its own: both see the new patch
        result = run(config)
        assert result.exit_code == 0, result.output
        assert "demo: 1 commit: 1 message (1 patch email, 0 replies" in result.stderr
    for name in ("a", "b"):
        assert len(list((tmp_path / name / "demo").glob(f"*-{new[0][:9]}.txt"))) == 1


@pytest.mark.parametrize(("body", "message"), [
    ("output = true\n[lists.a]\narchive = '.'\n",
     "the top level: output must be a non-empty string, not true"),
    ("output = 'o'\n[lists.a]\narchive = '.'\nname = 3\n",
     "[lists.a]: name must be a non-empty string, not 3"),
    ("output = 'o'\n[lists.a]\narchive = '.'\nsince = 'yesterdy'\n",
     "[lists.a]: since: invalid date: 'yesterdy'"),
    ("output = 'o'\n[lists.a]\nurl = 'ftp://lore.kernel.org/kvm'\n",
     "[lists.a]: url must be an http(s) address, not 'ftp://lore.kernel.org/kvm'"),
    ("output = 'o'\nlink_base = 'lore.kernel.org/r'\n[lists.a]\narchive = '.'\n",
     "the top level: link_base must be an http:// or https:// address"),
    ("output = 'o'\n[lists.a]\narchive = 'gone'\n",
     "[lists.a]: archive gone does not exist (and no url to mirror it from)"),
])
def test_config_values_are_checked_by_type(tmp_path: Path, body: str, message: str) -> None:
    result = run(write_config(tmp_path, body))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert f"listdigest: error: {tmp_path}/lists.toml: {message}" in line
    # A top-level mistake stops the run; one in [lists.a] keeps only list a from running.
    assert line.endswith("" if "the top level" in message else " (a is not run)")
    assert not (tmp_path / "True").exists()


def test_whole_config_is_checked_first_and_a_bad_list_only_stops_itself(
        demo_config: Path, tmp_path: Path) -> None:
    demo_config.write_text(demo_config.read_text() + "\n[lists.later]\narchive = 'x'\ntop = 0\n"
                           "[lists.last]\narchive = 'y'\nformats = ['pdf']\n")
    result = run(demo_config)
    assert result.exit_code == 1  # cron notices
    lines = result.stderr.splitlines()
    # Every problem at once, before any work; then the good list runs.
    assert lines[0].endswith(f"listdigest: error: {demo_config}: [lists.later]: top must be "
                             "a positive whole number (later is not run)")
    assert lines[1].endswith(f"listdigest: error: {demo_config}: [lists.last]: formats must "
                             "be a list of text, json, markdown, html, email, atom (last is not "
                             "run)")
    assert "demo: wrote" in lines[-1]
    assert len(list((tmp_path / "out" / "demo").glob("*.txt"))) == 1
    assert not (tmp_path / "out" / "later").exists()


@pytest.mark.parametrize("key", ["output", "db", "mailmap"])
def test_a_nul_byte_in_a_list_path_stops_that_list_only(demo_config: Path, tmp_path: Path,
                                                        key: str) -> None:
    demo_config.write_text(demo_config.read_text() + f'[lists.nul]\narchive = "{tmp_path}/demo"'
                           f'\n{key} = "{tmp_path}/bad\\u0000name"\n')
    result = run(demo_config)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].endswith(f"listdigest: error: {demo_config}: [lists.nul]: {key} holds a "
                             f"NUL byte: '{tmp_path}/bad\\x00name' (nul is not run)")
    assert not [line for line in lines[1:] if "error" in line]
    assert len(list((tmp_path / "out" / "demo").glob("*.txt"))) == 1  # demo ran
    named = run(demo_config, "nul")  # asked for by name: the same one line, nothing run
    assert named.exit_code == 1
    (only,) = named.stderr.splitlines()
    assert only.split(" ", 1)[1] == lines[0].split(" ", 1)[1]  # the same, stamped anew


def test_no_digest_for_a_range_without_messages_unless_asked(demo_config: Path,
                                                            tmp_path: Path) -> None:
    demo_config.write_text(demo_config.read_text().replace('since = "2025-03-01"',
                                                           'since = "2025-04-01"'))
    result = run(demo_config)
    assert result.exit_code == 0, result.output
    assert "demo: no message in 2025-04-01.." in result.stderr
    assert not (tmp_path / "out" / "demo").exists()
    new = append_messages(tmp_path / "demo", [patch(1)])  # the position moved to the tip
    result = CliRunner().invoke(cli, ["update", "--config", str(demo_config), "--write-empty"])
    assert "demo: 1 commit: 1 message" in result.stderr
    assert len(list((tmp_path / "out" / "demo").glob(f"*-{new[0][:9]}.txt"))) == 1


def test_write_empty_writes_the_empty_digest(demo_config: Path, tmp_path: Path) -> None:
    demo_config.write_text(demo_config.read_text().replace('since = "2025-03-01"',
                                                           'since = "2025-04-01"'))
    result = CliRunner().invoke(cli, ["update", "--config", str(demo_config), "--write-empty"])
    assert result.exit_code == 0, result.output
    (text,) = (tmp_path / "out" / "demo").glob("*.txt")
    assert text.read_text().splitlines()[0].startswith("From 2025-04-01 to ")


def test_url_that_differs_from_the_mirror_origin_is_reported(lore: Lore, tmp_path: Path) -> None:
    body = f"""
output = "{tmp_path}/out"
[lists.test]
url = "URL"
archive = "{tmp_path}/mirror"
db = "{tmp_path}/test.sqlite"
since = "2000-01-01"
"""
    config = write_config(tmp_path, body.replace("URL", lore.url))
    assert run(config).exit_code == 0
    config.write_text(body.replace("URL", "https://lore.example.org/other"))
    result = run(config)
    assert result.exit_code == 0, result.output
    assert (f"listdigest: warning: test: url https://lore.example.org/other differs from the "
            f"origin of the mirror in {tmp_path}/mirror ({lore.url}); fetching from the origin"
            ) in result.stderr
    assert "test: fetched " + lore.url in result.stderr
