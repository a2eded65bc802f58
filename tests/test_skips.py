"""Bad input never loses data silently: every commit of a range is accounted for."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo import build_archive


def mail(n: int, size: int = 0) -> bytes:
    """A small patch email; ``size`` pads its body to make a large blob."""
    body = f"Fix thing {n}.\n\nSigned-off-by: A U Thor <author@example.com>\n"
    body += "x" * size + "\n"
    return (
        f"From: A U Thor <author@example.com>\n"
        f"Subject: [PATCH] thing: fix number {n}\n"
        f"Date: Mon, 3 Mar 2025 10:{n:02d}:00 +0000\n"
        f"Message-ID: <thing-{n}@example.com>\n\n{body}"
    ).encode()


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def test_partial_clone_missing_blobs_are_skipped_and_named(tmp_path: Path) -> None:
    # Messages 2 and 4 are large; a clone filtering blobs over 10 kB lacks exactly them.
    messages = [mail(n, 20_000 if n in (2, 4) else 0) for n in range(1, 6)]
    source = build_archive(tmp_path / "src", messages)
    clone = tmp_path / "partial"
    (clone / "git").mkdir(parents=True)
    git("clone", "-q", "--bare", "--filter=blob:limit=10k",
        "--upload-pack=git -c uploadpack.allowFilter=true upload-pack",
        f"file://{source}/git/0.git", str(clone / "git" / "0.git"))
    commits = git("--git-dir", str(clone / "git" / "0.git"), "log", "--reverse",
                  "--format=%H").split()
    summary = ("listdigest: partial: 5 commits: 3 messages (3 patch emails, 0 replies,"
               " 0 other, 0 duplicates), 2 skipped")
    quiet = CliRunner().invoke(cli, ["digest", str(clone)])  # by default, the count alone
    assert quiet.stderr.splitlines() == [summary]
    result = CliRunner().invoke(cli, ["digest", str(clone), "-v"])  # -v names each
    assert result.exit_code == 0
    err = result.stderr.splitlines()
    assert f"listdigest: skipped {commits[1][:12]}: message blob missing" in err
    assert f"listdigest: skipped {commits[3][:12]}: message blob missing" in err
    assert err[-1] == summary
    assert result.stdout == quiet.stdout
    assert "[PATCH] thing: fix number 3 - A U Thor <author@example.com>" in result.stdout
    assert "fix number 2" not in result.stdout


def test_removal_record_and_duplicate_are_accounted(tmp_path: Path) -> None:
    # public-inbox v2 records a removal as a commit whose tree holds `d`, not `m`.
    inbox = build_archive(tmp_path / "inbox", [mail(1), mail(2), mail(1)])
    repo = inbox / "git" / "0.git"
    blob = git("--git-dir", str(repo), "rev-parse", "HEAD:m").strip()
    tree = subprocess.run(["git", "--git-dir", str(repo), "mktree"], check=True,
                          capture_output=True, text=True,
                          input=f"100644 blob {blob}\td\n").stdout.strip()
    removal = git("--git-dir", str(repo), "commit-tree", tree, "-p", "HEAD", "-m", "remove")
    git("--git-dir", str(repo), "update-ref", "refs/heads/master", removal.strip())
    result = CliRunner().invoke(cli, ["digest", str(inbox), "--verbose"])
    assert result.exit_code == 0
    err = result.stderr.splitlines()
    assert f"listdigest: skipped {removal.strip()[:12]}: removal record" in err
    assert any(line.startswith("listdigest: duplicate <thing-1@example.com> in ")
               for line in err)
    assert err[-1] == ("listdigest: inbox: 4 commits: 3 messages (2 patch emails, 0 replies,"
                       " 0 other, 1 duplicate), 1 skipped")


def test_nothing_readable_is_an_error(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", [mail(1, 20_000)])
    clone = tmp_path / "partial"
    (clone / "git").mkdir(parents=True)
    git("clone", "-q", "--bare", "--filter=blob:none",
        "--upload-pack=git -c uploadpack.allowFilter=true upload-pack",
        f"file://{inbox}/git/0.git", str(clone / "git" / "0.git"))
    result = CliRunner().invoke(cli, ["digest", str(clone)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "listdigest: error: no message of the range could be read")
