"""``listdigest mirror`` against a local smart-HTTP git server (git http-backend), never
the internet. The server serves one list, LIST, the way lore does: epoch N at /LIST/N,
and optionally /LIST/manifest.js.gz and /LIST/_/text/config/raw."""

from __future__ import annotations

import gzip
import socket
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner
from lore import INBOX_CONFIG, Lore, add_messages, count, git_out, new_epoch

from listdigest.cli import cli
from listdigest.errors import ArchiveError
from listdigest.sources.archive import Archive
from listdigest.sources.mirror import mirror, update


def _assert_same(dest: Path, lore: Lore, epochs: Iterable[int]) -> None:
    for n in epochs:
        src, clone = lore.root / "git" / f"{n}.git", dest / "git" / f"{n}.git"
        assert count(clone) == count(src)
        assert git_out(clone, "rev-parse", "HEAD") == git_out(src, "rev-parse", "HEAD")


def test_mirror_uses_the_manifest(lore: Lore, tmp_path: Path) -> None:
    lore.manifest = True
    dest = tmp_path / "mirror"
    paths = mirror(lore.url, dest)
    assert paths == [dest / "git" / "0.git", dest / "git" / "1.git"]
    assert [e.number for e in Archive.open(dest).epochs] == [0, 1]
    _assert_same(dest, lore, [0, 1])
    assert [count(p) for p in paths] == [3, 4]
    assert git_out(paths[1], "config", "remote.origin.url") == f"{lore.url}/1"
    assert not any(p.startswith("/LIST/2") for p in lore.requests)  # no probing
    assert gzip.decompress((dest / "manifest.js.gz").read_bytes()).startswith(b"{")
    assert (dest / "description").read_text() == "Test list\n"
    assert (paths[0] / "description").read_text() == "Test list [epoch 0]\n"
    assert (dest / "inbox.config.example").read_bytes() == INBOX_CONFIG


def test_mirror_probes_without_a_manifest(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    paths = mirror(lore.url + "/", dest)
    assert paths == [dest / "git" / "0.git", dest / "git" / "1.git"]
    assert [e.number for e in Archive.open(dest).epochs] == [0, 1]
    _assert_same(dest, lore, [0, 1])
    assert "/LIST/manifest.js.gz" in lore.requests
    assert "/LIST/2/info/refs" in lore.requests  # the probe that ended discovery
    assert sorted(p.name for p in dest.iterdir()) == ["description", "git"]
    assert (dest / "description").read_text() == f"mirror of {lore.url}\n"


@pytest.mark.parametrize("manifest", [True, False], ids=["manifest", "probe"])
def test_update_fetches_new_messages_andnew_epoch(lore: Lore, tmp_path: Path,
                                                    manifest: bool) -> None:
    lore.manifest = manifest
    dest = tmp_path / "mirror"
    mirror(lore.url, dest)
    tip0 = git_out(lore.root / "git" / "0.git", "rev-parse", "HEAD")
    old1 = git_out(lore.root / "git" / "1.git", "rev-parse", "HEAD")
    new1 = add_messages(lore.root / "git" / "1.git", [8, 9], parent=old1)
    tip2 = git_out(new_epoch(lore.root, 2, [10, 11]), "rev-parse", "HEAD")

    result = update(dest)

    assert result.url == lore.url
    assert [(c.number, c.status, c.old, c.new, c.forced) for c in result.epochs] == [
        (0, "unchanged", tip0, tip0, False),
        (1, "updated", old1, new1, False),
        (2, "cloned", None, tip2, False),
    ]
    assert [e.number for e in Archive.open(dest).epochs] == [0, 1, 2]
    _assert_same(dest, lore, [0, 1, 2])
    assert count(dest / "git" / "1.git") == 6
    assert git_out(dest / "git" / "2.git", "config", "remote.origin.url") == f"{lore.url}/2"
    again = update(dest)
    assert [c.status for c in again.epochs] == ["unchanged"] * 3


def test_update_follows_rewritten_history(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    mirror(lore.url, dest)
    server1 = lore.root / "git" / "1.git"
    old = git_out(server1, "rev-parse", "HEAD")
    first = git_out(server1, "rev-list", "--max-parents=0", "HEAD")  # message 4
    rewritten = add_messages(server1, [6, 7], parent=first)  # drops message 5

    result = update(dest)

    change = result.epochs[1]
    assert (change.status, change.old, change.new, change.forced) == (
        "updated", old, rewritten, True)
    assert result.epochs[0].status == "unchanged"
    clone = dest / "git" / "1.git"
    assert git_out(clone, "rev-parse", "HEAD") == rewritten
    assert count(clone) == 3
    assert git_out(clone, "for-each-ref", "--contains", old) == ""
    subjects = git_out(clone, "log", "--format=%s", "HEAD").split("\n")
    assert subjects == ["change 7", "change 6", "change 4"]


def test_unreachable_url(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "mirror"
    with pytest.raises(ArchiveError, match="cannot reach") as exc:
        mirror(f"http://127.0.0.1:{port}/LIST", dest)
    assert "\n" not in str(exc.value)
    assert not dest.exists()


def test_url_that_is_not_an_archive(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    with pytest.raises(ArchiveError, match="is not a public-inbox v2 archive") as exc:
        mirror(lore.url.replace("/LIST", "/OTHER"), dest)
    assert "\n" not in str(exc.value)
    assert not dest.exists()
    with pytest.raises(ArchiveError, match="not an http"):
        mirror("ftp://127.0.0.1/LIST", dest)


def test_mirror_refuses_a_non_empty_folder(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    with pytest.raises(ArchiveError, match="not empty"):
        mirror(lore.url, dest)
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_update_needs_a_mirror(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="is not a mirror"):
        update(tmp_path)
    local = tmp_path / "local"
    subprocess.run(["git", "init", "-q", "--bare", str(local / "git" / "0.git")], check=True)
    with pytest.raises(ArchiveError, match="has no remote origin") as exc:
        update(local)
    assert "\n" not in str(exc.value)


def test_cli_mirror_and_update(lore: Lore, tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "mirror"
    tips = [git_out(lore.root / "git" / f"{n}.git", "rev-parse", "HEAD") for n in (0, 1)]

    result = runner.invoke(cli, ["mirror", lore.url, str(dest)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"epoch 0: cloned {tips[0][:12]}",
        f"epoch 1: cloned {tips[1][:12]}",
        f"mirrored 2 epochs of {lore.url} into {dest}: 7 messages",
    ]
    new1 = add_messages(lore.root / "git" / "1.git", [8], parent=tips[1])
    tip2 = git_out(new_epoch(lore.root, 2, [9]), "rev-parse", "HEAD")

    result = runner.invoke(cli, ["mirror", "--update", str(dest)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"epoch 0: unchanged {tips[0][:12]}",
        f"epoch 1: updated {tips[1][:12]}..{new1[:12]}",
        f"epoch 2: cloned {tip2[:12]}",
        f"updated {dest} from {lore.url}: 1 cloned, 1 updated, 1 unchanged; "
        "2 messages arrived",  # message 8 in epoch 1, message 9 in the new epoch 2
    ]
    first = git_out(lore.root / "git" / "1.git", "rev-list", "--max-parents=0", "HEAD")
    rewritten = add_messages(lore.root / "git" / "1.git", [6], parent=first)

    result = runner.invoke(cli, ["mirror", "--update", str(dest)])

    # The range to paste into digest; git's new1..rewritten is the one commit added.
    assert result.output.splitlines()[1] == (
        f"epoch 1: updated {new1[:12]}..{rewritten[:12]} (forced)")
    assert result.output.splitlines()[-1].endswith("; 1 message arrived")


def test_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["mirror", "--update", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.stderr.startswith("listdigest: error: ")
    assert "is not a mirror" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    for args in (["mirror", "https://lore.kernel.org/x"],
                 ["mirror", "--update", "https://lore.kernel.org/x", str(tmp_path)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output


# --- every layout public-inbox-clone handles; failed clones ----------------------------

def test_grokmirror_layout_from_its_manifest(lore: Lore, tmp_path: Path) -> None:
    lore.manifest, lore.layout = True, "grokmirror"  # epochs only at URL/git/N.git
    dest = tmp_path / "mirror"
    result = CliRunner().invoke(cli, ["mirror", lore.url, str(dest)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"mirrored 2 epochs of {lore.url} into {dest}: 7 messages")
    assert git_out(dest / "git" / "1.git", "config", "remote.origin.url") == (
        f"{lore.url}/git/1.git")
    tip = add_messages(lore.root / "git" / "1.git", [8],
                       parent=git_out(lore.root / "git" / "1.git", "rev-parse", "HEAD"))
    result = CliRunner().invoke(cli, ["mirror", "--update", str(dest)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].endswith(f"..{tip[:12]}")
    assert result.output.splitlines()[-1] == (
        f"updated {dest} from {lore.url}: 1 updated, 1 unchanged; 1 message arrived")


def test_grokmirror_layout_without_a_manifest_is_probed(lore: Lore, tmp_path: Path) -> None:
    lore.layout = "grokmirror"
    paths = mirror(lore.url, tmp_path / "mirror")
    assert [count(p) for p in paths] == [3, 4]


def test_local_inbox_folder(lore: Lore, tmp_path: Path) -> None:
    dest = tmp_path / "mirror"
    result = CliRunner().invoke(cli, ["mirror", str(lore.root), str(dest)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"mirrored 2 epochs of {lore.root} into {dest}: 7 messages")
    new_epoch(lore.root, 2, [8, 9])
    result = CliRunner().invoke(cli, ["mirror", "--update", str(dest)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"updated {dest} from {lore.root}: 1 cloned, 2 unchanged; 2 messages arrived")


def test_failed_clone_leaves_nothing_and_a_retry_works(lore: Lore, tmp_path: Path) -> None:
    lore.manifest, lore.broken = True, {1}
    dest = tmp_path / "mirror"
    with pytest.raises(ArchiveError, match="git clone"):
        mirror(lore.url, dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server"]  # no mirror, no partial
    lore.broken = set()
    assert [count(p) for p in mirror(lore.url, dest)] == [3, 4]
