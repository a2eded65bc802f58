"""Ranges and dates the way git users type them, on the real kvmarm archive.

Facts read by hand with git on ../shared/archives/kvmarm (one epoch, 21,367 commits):
the first message is dated Mon, 29 Apr 2019 10:29:13 +0800 (02:29 UTC), the newest
Fri, 06 Jan 2023 12:16:15 +0000; 674c8900d6a1 is the 40th commit from the tip and
9a1aa4356905 the 30th from the root; 2020-05-22 holds 17 messages by Date.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.errors import ListdigestError
from listdigest.mail.message import parse_message
from listdigest.sources.archive import parse_range
from listdigest.sources.dates import parse_when

MAY2020 = ("a24576bae834", "4bb3463450ec")
FORTIETH_FROM_TIP = "674c8900d6a1"
THIRTIETH_FROM_ROOT = "9a1aa4356905"


@pytest.fixture(scope="module", autouse=True)
def no_default_index(tmp_path_factory: pytest.TempPathFactory):
    """Read git, never an index some earlier run left in the user's data folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        yield


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def commits_of(err: str) -> int:
    (line,) = [x for x in err.splitlines() if re.search(r"\d+ commits?:", x)]
    return int(re.search(r"(\d+) commits?:", line).group(1))  # type: ignore[union-attr]


def one_error(status: int, err: str) -> str:
    assert status == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("listdigest: error: ")
    return line


def test_parse_range_forms() -> None:
    assert parse_range("a..b") == ("a", "b")
    assert parse_range("a..") == ("a", None)
    assert parse_range("..b") == (None, "b")
    assert parse_range("b") == (None, "b")
    for bad in ("..", "a...b"):
        with pytest.raises(ListdigestError, match="not a range"):
            parse_range(bad)


def test_positional_range_is_from_to(kvmarm: Path) -> None:
    positional = run("digest", str(kvmarm), f"{MAY2020[0]}..{MAY2020[1]}", "--format", "json")
    options = run("digest", str(kvmarm), "--from", MAY2020[0], "--to", MAY2020[1],
                  "--format", "json")
    assert positional[0] == 0, positional[2]
    assert positional[1] == options[1]
    assert commits_of(positional[2]) == 100
    assert json.loads(positional[1])["range"]["from"] == "a24576bae"


def test_open_ended_positional_ranges(kvmarm: Path) -> None:
    status, out, err = run("digest", str(kvmarm), f"{FORTIETH_FROM_TIP}..")
    assert status == 0, err
    assert commits_of(err) == 39
    assert out == run("digest", str(kvmarm), "--from", FORTIETH_FROM_TIP)[1]
    status, out, err = run("stats", str(kvmarm), f"..{THIRTIETH_FROM_ROOT}", "--format", "json")
    assert status == 0, err
    assert commits_of(err) == 30
    assert json.loads(out)["total"]["messages"] == 30


def test_range_and_options_together_is_refused(kvmarm: Path) -> None:
    status, _, err = run("digest", str(kvmarm), f"{MAY2020[0]}..", "--to", MAY2020[1])
    assert status == 2
    assert "not both" in err


def test_git_date_forms() -> None:
    may22 = datetime(2020, 5, 22, tzinfo=UTC).timestamp()
    assert parse_when("2020-05-22 00:00").timestamp() == may22
    assert parse_when("@1590105600").timestamp() == may22
    assert parse_when("Fri, 22 May 2020 02:00:00 +0200").timestamp() == may22
    assert parse_when("2020-05-22T02:00:00+02:00").timestamp() == may22
    assert parse_when("2020-05-22").timestamp() == may22
    assert parse_when("2020-05-22", end=True).timestamp() == may22 + 86400 - 1e-6
    # Relative forms are git's (now minus two weeks); a named day is the whole day.
    now = time.time()
    assert abs(parse_when("2.weeks.ago").timestamp() - (now - 14 * 86400)) < 120
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if abs(now - today.timestamp()) > 120:  # not at midnight, when "today" may move
        assert parse_when("yesterday") == today - timedelta(days=1)
        assert parse_when("yesterday", end=True) == today - timedelta(microseconds=1)
        assert parse_when("today") == today
    monday = parse_when("last monday")
    assert (monday.weekday(), monday.hour, monday.minute) == (0, 0, 0)
    assert parse_when("last monday", end=True) - monday == timedelta(days=1, microseconds=-1)
    with pytest.raises(ListdigestError, match="invalid date: 'tomorow'"):
        parse_when("tomorow")


def test_dates_git_takes_select_the_same_day(kvmarm: Path, kvmarm_db: Path) -> None:
    iso = run("digest", str(kvmarm), "--since", "2020-05-22", "--until", "2020-05-22",
              "--db", str(kvmarm_db))
    forms = run("digest", str(kvmarm), "--since", "@1590105600",
                "--until", "Fri, 22 May 2020 23:59:59 +0000", "--db", str(kvmarm_db))
    assert commits_of(iso[2]) == commits_of(forms[2]) == 17
    assert iso[1] == forms[1]


def test_bad_date_is_one_line(kvmarm: Path) -> None:
    line = one_error(*run("digest", str(kvmarm), "--since", "yesterdy")[::2])
    assert "invalid date: 'yesterdy'" in line
    assert "2.weeks.ago" in line  # the accepted forms are named


def test_reversed_ranges_are_one_error(kvmarm: Path) -> None:
    line = one_error(*run("digest", str(kvmarm), f"{MAY2020[1]}..{MAY2020[0]}")[::2])
    assert line == (f"listdigest: error: reversed range: {MAY2020[1]} comes after "
                    f"{MAY2020[0]} in the archive (did you mean {MAY2020[0]}..{MAY2020[1]}?)")
    line = one_error(*run("stats", str(kvmarm), "--since", "2020-05-23",
                          "--until", "2020-05-22")[::2])
    assert line == ("listdigest: error: reversed range: --since 2020-05-23 is after "
                    "--until 2020-05-22")


def test_range_outside_the_archive_says_where_it_is(kvmarm: Path, kvmarm_db: Path) -> None:
    where = ("the archive's messages run from 2019-04-29 02:29 UTC to 2023-01-06 12:16 UTC")
    for args in (["--since", "2024-01-01"], ["--until", "2019-04-28"],
                 ["--since", "2030-01-01", "--until", "2030-02-01"]):
        line = one_error(*run("digest", str(kvmarm), *args, "--db", str(kvmarm_db))[::2])
        assert line == f"listdigest: error: no message in the range: {where}"
    # A quiet day inside the archive (Saturday 2019-05-04 has no message) is no error.
    status, out, err = run("digest", str(kvmarm), "--since", "2019-05-04", "--until",
                           "2019-05-04", "--db", str(kvmarm_db))
    assert status == 0, err
    assert commits_of(err) == 0
    assert out.splitlines()[0] == "From 2019-05-04 to 2019-05-04"


def test_date_range_title_and_json_carry_dates_and_commits(kvmarm: Path,
                                                          kvmarm_db: Path) -> None:
    status, out, err = run("digest", str(kvmarm), "--since", "2020-05-22T08:00:00Z",
                           "--until", "@1590192000", "--format", "json", "--db", str(kvmarm_db))
    assert status == 0, err
    # 15 of the day's 17 messages are dated after 08:00 UTC (two before: 02:32 and 05:34).
    assert json.loads(out)["range"] == {
        "by": "date", "from": "2020-05-22", "to": "2020-05-23",
        "since": "2020-05-22T08:00:00Z", "until": "2020-05-23T00:00:00Z",
        "first_commit": "67293aa027c24dbf3c2a5ff0be6ce1b3d5d61578",
        "last_commit": "61f7d9f2069a4c0f0faaff52241aaff262b16dea"}
    # Open on the right: the title ends at the newest message's day, never "now".
    status, out, err = run("digest", str(kvmarm), "--since", "2023-01-06",
                           "--db", str(kvmarm_db))
    assert status == 0, err
    assert out.splitlines()[0].startswith("From 2023-01-06 to 2023-01-06 (")
    assert "now" not in out.splitlines()[0]


def _commit(repo: Path, messages: list[tuple[bytes, int]]) -> None:
    """Commit each message as file ``m`` at the given commit time."""
    stream = bytearray()
    for raw, when in messages:
        stream += b"commit refs/heads/master\n"
        stream += f"committer L <list@example.org> {when} +0000\ndata 1\nx\n".encode()
        stream += b"M 100644 inline m\ndata %d\n%s\n" % (len(raw), raw)
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=master", str(repo)],
                   check=True)
    subprocess.run(["git", "--git-dir", str(repo), "fast-import", "--quiet"],
                   input=bytes(stream), check=True)


def test_a_date_far_after_its_commit_falls_back(tmp_path: Path) -> None:
    def mail(n: int, date: str) -> bytes:
        return (f"From: Dev <dev@example.org>\nSubject: [PATCH] fix {n}\nDate: {date}\n"
                f"Message-ID: <fix-{n}@example.org>\n\nFix.\n").encode()

    archived = 1_741_000_000  # 2025-03-03 11:06:40 UTC
    _commit(tmp_path / "git" / "0.git", [
        (mail(1, "Mon, 3 Mar 2025 10:00:00 +0000"), archived),
        (mail(2, "Wed, 3 Mar 2077 10:00:00 +0000"), archived + 60),
        (mail(3, "Tue, 4 Mar 2025 11:00:00 +0000"), archived + 120),  # 23 h ahead: kept
    ])
    status, out, err = run("digest", str(tmp_path), "--format", "json")
    assert status == 0, err
    assert "; 1 with a bad or future Date (commit time used)" in err
    patches = {p["title"]: p for s in json.loads(out)["series"] for p in s["patches"]}
    assert patches["fix 2"]["date"] == "2025-03-03T11:07:40Z"
    assert not patches["fix 2"]["date_from_header"]
    assert patches["fix 3"]["date"] == "2025-03-04T11:00:00Z"
    msg, _ = parse_message(mail(2, "Wed, 3 Mar 2077 10:00:00 +0000"), commit_time=archived)
    assert (msg.date, msg.date_ok) == (archived, False)
