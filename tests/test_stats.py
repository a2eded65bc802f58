"""``listdigest stats``: activity per period and the top tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli, stats_cmd
from listdigest.demo import build_archive, demo_messages
from listdigest.digest import select
from listdigest.index.db import open_index
from listdigest.indexed_stats import indexed_statistics
from listdigest.sources.archive import Archive
from listdigest.stats.history import build_statistics

HEADER = ("period     messages   patches  series  replies  reviews  contributors  newcomers")


def test_demo_statistics(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "demo", demo_messages())
    result = CliRunner().invoke(cli, ["stats", str(inbox), "--by", "month", "--name", "Demo"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Demo mailing list statistics from ")
    assert lines[0].endswith(", by month")
    # 10 messages: 7 patch emails in 4 series, 2 replies (one Reviewed-by), 1 discussion;
    # 5 contributors (Kenji Watanabe by his in-body From).
    assert lines[2:5] == [
        HEADER,
        "2025-03          10         7       4        2        1             5          5",
        "total            10         7       4        2        1             5          5",
    ]
    start = lines.index("Top 15 reviewers (Acked-by, Reviewed-by, Tested-by given in replies)")
    assert lines[start + 2] == "      1  Lena Fischer <lena.fischer@example.org>"


def test_kvmarm_by_year_checked_with_git(kvmarm: Path) -> None:
    # git log --format='%at %s' | awk '$1 >= 1672531200': 41 messages dated 2023,
    # 28 of them replies and 11 patch emails.
    result = CliRunner().invoke(cli, ["stats", str(kvmarm), "--since", "2023-01-01",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["period"] for p in data["periods"]] == ["2023"]
    year = data["periods"][0]
    assert (year["messages"], year["patch_emails"], year["replies"]) == (41, 11, 28)
    assert data["total"]["messages"] == 41
    assert data["from"] == "2023-01-01"


def test_stats_from_the_index_are_aggregated_in_sql(kvmarm: Path, kvmarm_db: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # With a current index no message record is built: select() is never called.
    def no_select(*args: object, **kwargs: object) -> None:
        raise AssertionError("stats read every message")

    monkeypatch.setattr(stats_cmd, "select", no_select)
    result = CliRunner().invoke(cli, ["stats", str(kvmarm), "--db", str(kvmarm_db),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    # README's table: the figures of the per-message count.
    assert [total[k] for k in ("messages", "patch_emails", "series", "replies", "reviews",
                               "contributors", "newcomers")] == [
        21366, 9944, 1591, 11212, 1818, 207, 207]
    assert "21367 commits: 21367 messages (9944 patch emails, 11212 replies, 210 other, " \
           "1 duplicate), 0 skipped" in result.stderr


@pytest.mark.parametrize(("by", "ranges"), [
    ("week", {}),  # ISO weeks across years: 2021-01-01 is in 2020-W53
    ("year", {"since": "2021-03-01", "until": "2021-06-30"}),
    ("month", {"rev_from": "9aab6527a", "rev_to": "HEAD~5"}),
])
def test_stats_in_sql_equal_stats_of_the_messages(kvmarm: Path, kvmarm_db: Path, by: str,
                                                  ranges: dict[str, str]) -> None:
    args = {"rev_from": None, "rev_to": None, "since": None, "until": None, **ranges}
    arch = Archive.open(str(kvmarm))
    with open_index(arch, kvmarm_db) as idx:
        counted = indexed_statistics(arch, idx, **args, name=None, by=by, top=15)
        sel = select(arch, idx, **args)
    assert counted is not None
    sql_sel, sql = counted
    assert sql_sel.accounting == sel.accounting
    assert (sql_sel.start, sql_sel.end_label) == (sel.start, sel.end_label)
    assert sql == build_statistics(sel.messages, list_name="kvmarm", start=sel.start,
                                   end=sel.end_label, by=by, top=15)
    assert sql.total.messages == len(sel.messages) > 2000


def test_a_date_range_with_duplicates_counts_each_message_once(leds: Path,
                                                               leds_db: Path) -> None:
    # linux-leds from September 2020 to March 2021 holds seven rows whose Message-ID an
    # earlier row has: two lkp@intel.com replies (26 and 29 Sep 2020), one patch of
    # vadimp@nvidia.com (22 Jan 2021) and four more copies of one patch of
    # antoni.przybylik@wp.pl (2 Mar 2021). Each period counts its message once.
    args = {"rev_from": None, "rev_to": None, "since": "2020-09-01", "until": "2021-03-31"}
    arch = Archive.open(str(leds))
    with open_index(arch, leds_db) as idx:
        counted = indexed_statistics(arch, idx, **args, name=None, by="month", top=15)
        sel = select(arch, idx, **args)
    assert counted is not None
    sql_sel, sql = counted
    assert sorted((m.kind, m.date // 86400 * 86400) for m in
                  sql_sel.accounting.duplicates) == sorted(
        [("reply", 1601078400), ("reply", 1601337600), ("patch", 1611273600)]
        + [("patch", 1614643200)] * 4)
    assert sql_sel.accounting == sel.accounting
    assert sql == build_statistics(sel.messages, list_name="linux-leds", start=sel.start,
                                   end=sel.end_label, by="month", top=15)
