"""``listdigest stats``: activity per period and the top tables."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo import build_archive, demo_messages

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
