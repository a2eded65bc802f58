"""Archives built oddly with git: a merge commit or a type change that adds ``m`` is
read (the index path agrees with the git path), and a closed or full standard output
is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo import build_archive


def patch(n: int) -> bytes:
    return (f"From: Dev <dev@example.org>\nSubject: [PATCH] fix {n}\n"
            f"Date: Mon, 7 Apr 2025 10:{n:02d}:00 +0000\nMessage-ID: <fix-{n}@example.org>\n"
            f"\nFix {n}.\n").encode()


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True,
                          capture_output=True, input=input).stdout.decode().strip()


def commit(repo: Path, entries: str, *parents: str) -> str:
    tree = git(repo, "mktree", input=entries.encode())
    args = [a for p in parents for a in ("-p", p)]
    new = git(repo, "commit-tree", tree, *args, "-m", "x")
    git(repo, "update-ref", "refs/heads/master", new)
    return new


def ids(inbox: Path, *extra: str) -> list[str]:
    result = CliRunner().invoke(cli, ["digest", str(inbox), "--format", "json", *extra])
    assert result.exit_code == 0, result.stderr
    return [p["message_id"] for s in json.loads(result.stdout)["series"]
            for p in s["patches"]]


def test_merge_and_type_change_adding_m_are_read(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", [patch(1), patch(2)])
    repo = inbox / "git" / "0.git"
    head, first = git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD~1")
    blob3 = git(repo, "hash-object", "-w", "--stdin", input=patch(3))
    commit(repo, f"100644 blob {blob3}\tm\n", head, first)  # a merge whose m is new
    link = git(repo, "hash-object", "-w", "--stdin", input=b"elsewhere")
    symlinked = commit(repo, f"120000 blob {link}\tm\n", git(repo, "rev-parse", "HEAD"))
    blob4 = git(repo, "hash-object", "-w", "--stdin", input=patch(4))
    commit(repo, f"100644 blob {blob4}\tm\n", symlinked)  # m: symlink -> file (type change)
    expected = ["fix-1@example.org", "fix-2@example.org", "fix-3@example.org",
                "fix-4@example.org"]
    assert ids(inbox) == expected
    assert ids(inbox, "--db", str(tmp_path / "i.sqlite")) == expected  # built, then read


def test_closed_or_full_standard_output_is_one_line(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "inbox", [patch(1)])
    exe = str(Path(sys.executable).parent / "listdigest")
    closed = subprocess.run(f"'{exe}' digest '{inbox}' -q >&-", shell=True,
                            capture_output=True, text=True, check=False)
    assert (closed.returncode, closed.stderr) == (
        1, "listdigest: error: standard output is closed (write to a file with -o FILE)\n")
    full = subprocess.run(f"'{exe}' digest '{inbox}' -q > /dev/full", shell=True,
                          capture_output=True, text=True, check=False)
    assert (full.returncode, full.stderr) == (
        1, "listdigest: error: cannot write to standard output: No space left on device\n")


def test_a_run_killed_while_writing_leaves_no_temporary_file(tmp_path: Path) -> None:
    # The digest is written in pieces; SIGTERM arrives after the first one, as when
    # cron's timeout or `kill` ends a run amid a large JSON digest.
    script = f"""
import os, signal
from listdigest.cli import exit_on_signal
from listdigest.cli.digest_cmd import write_output
signal.signal(signal.SIGTERM, exit_on_signal)
def pieces():
    yield "first piece\\n"
    os.kill(os.getpid(), signal.SIGTERM)
    yield "never written\\n"
write_output(pieces(), {str(tmp_path / "digest.json")!r})
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert (proc.returncode, proc.stderr) == (128 + 15, "")
    assert list(tmp_path.iterdir()) == []  # neither the digest nor its temporary file


def test_a_damaged_object_in_a_pack_costs_its_message_only(tmp_path: Path) -> None:
    messages = [patch(n) + b"x" * 200 + b"\n" for n in range(1, 6)]
    inbox = build_archive(tmp_path / "inbox", messages)
    repo = inbox / "git" / "0.git"
    git(repo, "repack", "-adq")
    damaged = git(repo, "rev-parse", "HEAD~2")
    blob = git(repo, "rev-parse", "HEAD~2:m")
    (pack,) = (repo / "objects" / "pack").glob("*.pack")
    offset = next(int(line.split()[4]) for line in git(
        repo, "verify-pack", "-v", str(pack.with_suffix(".idx"))).splitlines()
        if line.startswith(blob))
    pack.chmod(0o644)
    with pack.open("r+b") as fh:  # garble the zlib stream of fix 3's blob
        fh.seek(offset + 5)
        fh.write(b"\xff" * 6)
    for extra in ([], ["--db", str(tmp_path / "i.sqlite")]):
        result = CliRunner().invoke(cli, ["digest", str(inbox), "-v", "--format", "json",
                                          *extra])
        assert result.exit_code == 0, result.stderr
        assert f"listdigest: skipped {damaged[:12]}: message blob missing" in result.stderr
        data = json.loads(result.stdout)
        assert (data["summary"]["messages"], data["summary"]["skipped"]) == (4, 1)
        assert [p["message_id"] for s in data["series"] for p in s["patches"]] == [
            f"fix-{n}@example.org" for n in (1, 2, 4, 5)]


def test_a_v1_commit_adding_two_messages_gives_both(tmp_path: Path) -> None:
    repo = tmp_path / "v1.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    blobs = [git(repo, "hash-object", "-w", "--stdin", input=patch(n)) for n in (1, 2, 3)]
    path = [f"{n:02x}/{n:038x}" for n in (1, 2, 3)]
    sub = {n: git(repo, "mktree", input=f"100644 blob {blobs[n - 1]}\t{n:038x}\n".encode())
           for n in (1, 2, 3)}
    first = commit(repo, f"040000 tree {sub[1]}\t{path[0][:2]}\n")
    both = "".join(f"040000 tree {sub[n]}\t{path[n - 1][:2]}\n" for n in (1, 2, 3))
    commit(repo, both, first)  # one commit adds fix-2 and fix-3
    expected = ["fix-1@example.org", "fix-2@example.org", "fix-3@example.org"]
    runner = CliRunner()
    result = runner.invoke(cli, ["digest", str(repo), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert (summary["commits"], summary["patch_emails"], summary["skipped"]) == (3, 3, 0)
    assert sorted(ids(repo)) == expected
    db = str(tmp_path / "i.sqlite")
    assert sorted(ids(repo, "--db", db)) == expected  # built, then read
    assert sorted(ids(repo, "--db", db)) == expected  # the index is current: no rewrite
    result = runner.invoke(cli, ["index", str(repo), "--db", db])
    assert result.exit_code == 0 and "rewrit" not in result.stderr, result.stderr


def test_the_same_blob_committed_twice_is_one_named_skip_on_both_paths(
        leds: Path, leds_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No default index of the machine's: without --db the digest reads git.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    # linux-leds 508a224979f5 and 5de54c0b6c28 (the next commit) hold the same blob: git
    # shows no change in the second, so it adds no message.
    for args in (["508a224979f5~1..5de54c0b6c28"], ["--since", "2020-05-26", "--until",
                                                      "2020-05-26"]):
        answers = []
        for extra in ([], ["--db", str(leds_db)]):
            result = CliRunner().invoke(cli, ["digest", str(leds), *args, "-v", "--format",
                                              "json", "--no-history", *extra])
            assert result.exit_code == 0, result.stderr
            data = json.loads(result.stdout)
            assert {"commit": "5de54c0b6c280b7421482b817e9ebad84df0d896",
                    "reason": "adds no message"} in data["skipped"]
            assert ("listdigest: skipped 5de54c0b6c28: adds no message"
                    in result.stderr.splitlines())
            answers.append((result.stdout, result.stderr))
        assert answers[0] == answers[1]  # the git path and the index path
    only_two = CliRunner().invoke(cli, ["digest", str(leds), "508a224979f5~1..5de54c0b6c28"])
    assert only_two.stderr.splitlines()[-1] == (
        "listdigest: linux-leds: 2 commits: 1 message (0 patch emails, 1 reply, 0 other, "
        "0 duplicates), 1 skipped")
