"""``applied_commits``: a project tree's commits that name kvmarm patches by Message-ID."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from listdigest.errors import ListdigestError
from listdigest.mail import parse_message
from listdigest.sources.blobs import read_blobs
from listdigest.sources.tree import applied_commits

#: Real kvmarm patches (archive commit → Message-ID), each answered "Applied to next".
PATCHES = {
    "2246ed892576a960227eb49d867633e80ab4b5b7": "20221205114031.3972780-1-ryan.roberts@arm.com",
    "5a1316afb2afd33c1b2f13c88ae832202345c8a7": "20220819162100.213854-1-oliver.upton@linux.dev",
    "415ec4df7c8bd32cc265f8b025828401b7cb137a":
        "20220920190658.2880184-1-quic_eberman@quicinc.com",
    "580ad735d2d31b1be138d887d5c81b78d7f68b81": "20220923065447.323445-1-gshan@redhat.com",
    "11173b23f9a3c6284b0ac1a628656435357bb44d":
        "20220715235824.2549012-1-kaleshsingh@google.com",
}
RYAN, OLIVER, ELLIOT, GAVIN, KALESH = PATCHES.values()


def test_message_ids_are_kvmarm_patches(kvmarm: Path) -> None:
    repo = kvmarm / "git" / "0.git"
    for (commit, raw), mid in zip(read_blobs(repo, [f"{c}:m" for c in PATCHES]),
                                  PATCHES.values(), strict=True):
        assert raw is not None, commit
        assert parse_message(raw)[0].message_id == mid


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "M", "GIT_AUTHOR_EMAIL": "m@example.org",
           "GIT_COMMITTER_NAME": "M", "GIT_COMMITTER_EMAIL": "m@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env=env, check=True).stdout.strip()


def _commit(repo: Path, message: str, when: int) -> str:
    stamp = f"@{when} +0000"
    _git(repo, "-c", f"core.hooksPath={os.devnull}", "commit", "--allow-empty", "-q",
         f"--date={stamp}", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A small project clone: commits naming the patches in each trailer form, one only
    in prose, one on a second branch, and a patch applied twice (a later backport)."""
    repo = tmp_path_factory.mktemp("tree")
    _git(repo, "init", "-q", "-b", "main")
    made = {
        "first": _commit(repo, "KVM: arm64: Fix benign bug with incorrect use of VA_BITS\n\n"
                         f"Link: https://lore.kernel.org/r/{RYAN}\n", 1_670_000_000),
        "oliver": _commit(repo, "KVM: selftests: Update top-of-file comment in psci_test\n\n"
                          f"Link: https://lore.kernel.org/kvmarm/{OLIVER}/\n", 1_670_000_100),
        "elliot": _commit(repo, "KVM: arm64: Ignore kvm-arm.mode if !is_hyp_mode_available()\n\n"
                          f"Link: https://patch.msgid.link/{ELLIOT}\n", 1_670_000_200),
        "gavin": _commit(repo, "KVM: arm64: vgic: Remove duplicate check\n\n"
                         f"Message-Id: <{GAVIN}>\n", 1_670_000_300),
        "prose": _commit(repo, "KVM: arm64: Fix hypervisor address symbolization\n\n"
                         f"As discussed in https://lore.kernel.org/r/{KALESH}, do it.\n",
                         1_670_000_400),
        "backport": _commit(repo, "KVM: arm64: Fix benign bug (backport)\n\n"
                            f"Link: https://lore.kernel.org/all/{RYAN}/T/#u\n", 1_670_000_500),
    }
    _git(repo, "checkout", "-q", "-b", "other", made["oliver"])
    escaped = KALESH.replace("@", "%40")
    made["kalesh"] = _commit(repo, "KVM: arm64: Fix hypervisor address symbolization\n\n"
                             f"Link: https://msgid.link/{escaped}\n", 1_670_000_600)
    _git(repo, "checkout", "-q", "main")
    return repo, made


def test_trailers_name_applied_patches(tree: tuple[Path, dict[str, str]]) -> None:
    repo, made = tree
    asked = [*PATCHES.values(), "not-applied@example.org"]
    assert applied_commits(repo, asked) == {
        RYAN: made["backport"],  # the newest commit naming it
        OLIVER: made["oliver"],
        ELLIOT: made["elliot"],
        GAVIN: made["gavin"],
        KALESH: made["kalesh"],  # on another branch, %-escaped; the prose mention is no trailer
    }


def test_only_the_ids_asked(tree: tuple[Path, dict[str, str]]) -> None:
    repo, made = tree
    assert applied_commits(repo, [f"<{GAVIN}>"]) == {GAVIN: made["gavin"]}
    assert applied_commits(repo, []) == {}


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ListdigestError, match=r"^--tree .*: not a git repository$"):
        applied_commits(tmp_path, [RYAN])
    with pytest.raises(ListdigestError, match="not a git repository"):
        applied_commits(tmp_path / "missing", [RYAN])
