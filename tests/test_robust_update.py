"""``update`` after lore's removals and rewrites: a range of removal records is no
failure, and a commit rewritten away neither titles a digest nor republishes mail."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from listdigest.cli import cli
from listdigest.demo import build_archive
from listdigest.demo.build import append_messages, reimport_epoch, rewrite_epoch


def patch(n: int) -> bytes:
    return (f"From: Dev {n} <dev{n}@example.org>\nSubject: [PATCH] fix {n}\n"
            f"Date: Mon, 7 Apr 2025 10:{n:02d}:00 +0000\nMessage-ID: <fix-{n}@example.org>\n"
            f"\nFix {n}.\n").encode()


def git(repo: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, text=True,
                          capture_output=True, input=input).stdout.strip()


def setup(tmp_path: Path) -> tuple[Path, Path]:
    inbox = build_archive(tmp_path / "inbox", [patch(1), patch(2), patch(3)])
    config = tmp_path / "lists.toml"
    config.write_text(f'output = "{tmp_path}/out"\nformats = ["json"]\n[lists.l]\n'
                      f'archive = "{inbox}"\ndb = "{tmp_path}/l.sqlite"\n'
                      'since = "2025-04-01"\n')
    return inbox, config


def run(config: Path) -> Result:
    return CliRunner().invoke(cli, ["update", "--config", str(config)])


def test_a_range_of_removal_records_only_is_no_failure(tmp_path: Path) -> None:
    inbox, config = setup(tmp_path)
    assert run(config).exit_code == 0
    repo = inbox / "git" / "0.git"
    blob = git(repo, "rev-parse", "HEAD:m")  # public-inbox records a removal as file d
    tree = git(repo, "mktree", input=f"100644 blob {blob}\td\n")
    removal = git(repo, "commit-tree", tree, "-p", "HEAD", "-m", "remove")
    git(repo, "update-ref", "refs/heads/master", removal)
    second = run(config)
    assert second.exit_code == 0, second.stderr
    assert second.stderr.splitlines()[-1].endswith(
        f"listdigest: l: no message in {git(repo, 'rev-parse', 'HEAD~1')[:9]}..{removal[:9]}; "
        "no digest written (--write-empty writes one)")
    third = run(config)  # the position moved past the removal
    assert third.stderr.splitlines()[-1].endswith("listdigest: l: no new messages")
    assert len(list((tmp_path / "out" / "l").glob("*.json"))) == 1
    digest = CliRunner().invoke(cli, ["digest", str(inbox), "--from", "HEAD~1"])
    assert digest.exit_code == 0  # the digest command too: an empty digest, no error


def test_after_a_rewrite_nothing_published_is_published_again(tmp_path: Path) -> None:
    inbox, config = setup(tmp_path)
    assert run(config).exit_code == 0
    repo = inbox / "git" / "0.git"
    old_tip = git(repo, "rev-parse", "HEAD")  # the recorded position: fix 3's commit
    # lore purges fix 2: fix 3 gets a new commit; the old one stays in the object store.
    rewrite_epoch(inbox, 0, lambda raw: b"<fix-2@" not in raw)
    assert git(repo, "cat-file", "-t", old_tip) == "commit"
    (new,) = append_messages(inbox, [patch(4)])
    assert run(config).exit_code == 0
    (second,) = [p for p in (tmp_path / "out" / "l").glob("*.json") if new[:9] in p.name]
    data = json.loads(second.read_text())
    assert [p["message_id"] for s in data["series"] for p in s["patches"]] == [
        "fix-4@example.org"]
    # Read again from the first message the last digest held (fix 1, whose commit the
    # purge kept): fix 1 and fix 3 (under its new commit) are counted, not published.
    assert data["summary"]["already_published"] == 2
    first = git(repo, "rev-parse", "HEAD~2")
    assert data["range"]["from"] == first[:9] != old_tip[:9]


def test_after_a_reimport_that_changes_commit_times_only_new_messages_are_published(
        tmp_path: Path) -> None:
    early = patch(0).replace(b"7 Apr 2025", b"3 Mar 2025")  # before the first run's since
    inbox = build_archive(tmp_path / "inbox", [early, patch(1), patch(2), patch(3)])
    config = tmp_path / "lists.toml"
    config.write_text(f'output = "{tmp_path}/out"\nformats = ["json"]\n[lists.l]\n'
                      f'archive = "{inbox}"\ndb = "{tmp_path}/l.sqlite"\n'
                      'since = "2025-04-01"\n')
    out = tmp_path / "out" / "l"
    assert run(config).exit_code == 0
    (first,) = out.glob("*.json")
    assert [p["message_id"] for s in json.loads(first.read_text())["series"]
            for p in s["patches"]] == ["fix-1@example.org", "fix-2@example.org",
                                       "fix-3@example.org"]
    repo = inbox / "git" / "0.git"
    old = git(repo, "log", "--format=%H %ct").splitlines()
    # A re-import: every commit new, committed in 2027 (after the recorded position's
    # time, so "no later than it" finds nothing), a lost message found again (fix 5,
    # put between fix 2 and fix 3) and a new one (fix 4) at the end.
    tip = reimport_epoch(inbox, 0, [early, patch(1), patch(2), patch(5), patch(3), patch(4)],
                         at=1_800_000_000)
    new = git(repo, "log", "--format=%H %ct").splitlines()
    assert not {line.split()[0] for line in old} & {line.split()[0] for line in new}
    assert {line.split()[1] for line in new} == {"1800000000"}
    second = run(config)
    assert second.exit_code == 0, second.stderr
    assert ("l: 5 commits: 5 messages (2 patch emails, 0 replies, 0 other, 0 duplicates), "
            "0 skipped; 3 already published") in second.stderr
    (digest,) = [p for p in out.glob("*.json") if p != first]
    data = json.loads(digest.read_text())
    assert sorted(p["message_id"] for s in data["series"] for p in s["patches"]) == [
        "fix-4@example.org", "fix-5@example.org"]
    assert data["summary"]["already_published"] == 3
    # Titled from the re-imported commit of fix 0 (which was never published) to the tip.
    assert data["range"]["from"] == git(repo, "rev-parse", "HEAD~5")[:9]
    assert data["range"]["to"] == tip[:9]
    assert run(config).stderr.splitlines()[-1].endswith("listdigest: l: no new messages")


def test_an_unparseable_url_is_one_line_for_its_list_and_the_others_run(
        tmp_path: Path) -> None:
    _, config = setup(tmp_path)
    config.write_text(config.read_text() + f'[lists.v6]\nurl = "http://[::1"\n'
                      f'archive = "{tmp_path}/v6"\n[lists.nul]\n'
                      f'url = "http://lore.example.org\\u0000/list"\narchive = "{tmp_path}/n"\n')
    result = run(config)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1].endswith("listdigest: error: v6: not an http(s) URL of an archive: "
                              "'http://[::1'")
    assert lines[0].endswith(f"listdigest: error: {config}: [lists.nul]: url holds a NUL byte: "
                             "'http://lore.example.org\\x00/list' (nul is not run)")
    assert len(list((tmp_path / "out" / "l").glob("*.json"))) == 1  # list l still ran
