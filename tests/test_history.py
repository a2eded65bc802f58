"""``digest --history``: earlier versions of a series, found in the index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo import build_archive


def posting(version: int, n: int, total: int, day: int, subject: str,
            sender: str = "Ann Dev <ann@example.org>") -> bytes:
    """Patch n/total of a version; patches are threaded to that version's cover letter."""
    tag = f"PATCH v{version} {n}/{total}" if version > 1 else f"PATCH {n}/{total}"
    who = sender.split()[0].lower()
    threading = f"In-Reply-To: <{who}-v{version}-0@example.org>\n" if n else ""
    return (f"From: {sender}\nSubject: [{tag}] {subject}\n"
            f"Date: Mon, {day} Mar 2025 10:00:0{n} +0000\n"
            f"Message-ID: <{who}-v{version}-{n}@example.org>\n{threading}\n"
            f"Text {n}.\n").encode()


def test_history_names_earlier_versions(tmp_path: Path) -> None:
    messages = [
        posting(1, 0, 2, 3, "widget: speed up"), posting(1, 1, 2, 3, "widget: one"),
        posting(1, 2, 2, 3, "widget: two"),
        posting(1, 1, 1, 4, "Widget:  Speed up", sender="Bob <bob@example.org>"),
        posting(2, 0, 2, 17, "widget: speed up"), posting(2, 1, 2, 17, "widget: one"),
        posting(2, 2, 2, 17, "widget: two"),
    ]
    inbox = build_archive(tmp_path / "inbox", messages)
    commits = subprocess.run(["git", "--git-dir", str(inbox / "git" / "0.git"), "log",
                              "--reverse", "--format=%H"], capture_output=True, text=True,
                             check=True).stdout.split()
    args = ["digest", str(inbox), "--from", commits[3], "--db", str(tmp_path / "i.sqlite")]
    result = CliRunner().invoke(cli, [*args, "--history"])
    assert result.exit_code == 0, result.output
    # Bob's posting of the same title is another sender's: not an earlier version.
    assert ("widget: speed up (v2, 2 patches + cover letter; waiting; earlier: v1 2025-03-03)"
            in result.stdout.splitlines())
    data = json.loads(CliRunner().invoke(cli, [*args, "--history", "--format", "json"]).stdout)
    assert data["series"][0]["earlier"] == [
        {"version": 1, "date": "2025-03-03T10:00:00Z", "message_id": "ann-v1-0@example.org",
         "link": None}]
    plain = CliRunner().invoke(cli, [*args, "--no-history"])
    assert "earlier:" not in plain.stdout  # without history the digest is the same as from git
    default = CliRunner().invoke(cli, args)  # the index exists: history is on
    assert default.stdout == result.stdout
