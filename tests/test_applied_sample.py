"""Precision and recall of the applied/queued detector on real replies labelled by hand.

``data/applied_sample.tsv`` names replies of the shared kvmarm and linux-leds archives
(commit id, archive, label, expected tree, branch and patches), never their text: each
is read from the archive here, through the same path the series model takes (the
prefilter on the raw bytes, then :func:`find_applied` on the decoded body).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SHARED

from listdigest.mail import commit_message
from listdigest.mail.applied import APPLIED_HINT, AppliedNote, find_applied
from listdigest.sources.blobs import read_blobs

SAMPLE = Path(__file__).parent / "data" / "applied_sample.tsv"


@dataclass(frozen=True)
class Labelled:
    """One labelled reply: ``label`` is applied, queued or no."""

    archive: str
    commit: str
    label: str
    tree: str | None
    branch: str | None
    patches: tuple[int, ...] | None


def _field(value: str) -> str | None:
    return None if value == "-" else value


def _sample() -> list[Labelled]:
    rows = []
    for line in SAMPLE.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        archive, commit, label, tree, branch, patches = line.split("\t")
        numbers = None if patches in ("all", "-") else tuple(int(p) for p in patches.split(","))
        rows.append(Labelled(archive, commit, label, _field(tree), _field(branch), numbers))
    return rows


@pytest.fixture(scope="module")
def judged() -> dict[str, tuple[Labelled, AppliedNote | None]]:
    """Each labelled reply with what the detector says of it, by commit id."""
    out: dict[str, tuple[Labelled, AppliedNote | None]] = {}
    rows = _sample()
    for archive in ("kvmarm", "linux-leds"):
        repo = SHARED / "archives" / archive / "git" / "0.git"
        assert repo.is_dir(), f"shared archive missing: {repo}"
        mine = [r for r in rows if r.archive == archive]
        for row, (_, raw) in zip(mine, read_blobs(repo, [f"{r.commit}:m" for r in mine]),
                                 strict=True):
            assert raw is not None, f"{archive} {row.commit} has no message"
            note = None
            if APPLIED_HINT.search(raw):
                note = find_applied(commit_message(raw).section)
            out[row.commit] = (row, note)
    return out


def test_sample_is_large_and_mixed(judged: dict[str, tuple[Labelled, AppliedNote | None]]
                                   ) -> None:
    labels = [row.label for row, _ in judged.values()]
    assert len(labels) >= 200
    assert {"applied", "queued", "no"} <= set(labels)
    assert {row.archive for row, _ in judged.values()} == {"kvmarm", "linux-leds"}


def test_precision_and_recall(judged: dict[str, tuple[Labelled, AppliedNote | None]]) -> None:
    """The figures the README records: at least 95% precision and 90% recall."""
    tp = sum(1 for row, note in judged.values() if note and row.label != "no")
    fp = sum(1 for row, note in judged.values() if note and row.label == "no")
    fn = sum(1 for row, note in judged.values() if not note and row.label != "no")
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.90


def test_fields_of_true_positives(judged: dict[str, tuple[Labelled, AppliedNote | None]]
                                  ) -> None:
    """Where a reply is found applied, tree, branch, patches and queued match the label
    for at least 95% of them."""
    found = [(row, note) for row, note in judged.values() if note and row.label != "no"]
    same = sum(1 for row, note in found
               if (note.tree, note.branch, note.patches, note.queued)
               == (row.tree, row.branch, row.patches, row.label == "queued"))
    assert same / len(found) >= 0.95


NAMED = {
    # patchwork-bot: the summary gives commits for patches 2-5 of 5, none for 1
    "e7a42fe72df0f862e18d21390f5c8b403a8261c2": AppliedNote(
        "netdev/net-next.git", "main", (2, 3, 4, 5),
        ("a274465cc3be", "9d55e68b19f2", "eb89c79c1b8f", "1758af47b98c"), False),
    # b4 thank-you of Lee Jones listing all 11 patches of the aw200xx series
    "e48dc12e12cdbf82afdac064f13c898ef37cd89c": AppliedNote(
        None, None, None,
        ("785fec3a8daff2957fd55e49cbdfe0a50866fdb7", "eabe8239022cf3c75b90d9ee07dcfbbe4e50bcac",
         "e91899ea3759d04e185721153a036e1a25e315b7", "4ccd392c3ea7ceefbee58622e634d4997ef46acc",
         "66d078f105837670c52bb31da29e26ad13bc2923", "aac13e5630d6e081a9f6c5a57e5e6fc1152acca8",
         "851fa70b9b162bbf5b5f5f92fc450633e6b21a3a", "5fcc24b92b43f012cbf430244f0698ff588ec9fc",
         "abc74724d5e714bb3359124f3576d5318828a83e", "d6bbe677add2c560ae4aa2f9dab7a19c287e2193",
         "5707a06e5391a4eeaf0c2705f973336537a41c79"), False),
    # Mark Brown: "Applied to\n\n   https://…/broonie/regulator.git for-next" for 3 of 9
    "34f1a3eada6e2caea5fb8a6e10ec75556defaef9": AppliedNote(
        "https://git.kernel.org/pub/scm/linux/kernel/git/broonie/regulator.git", "for-next",
        (1, 2, 3), ("5a8ffc5dca9c096fe9c8879fa3a2faff723fbb8a",
                    "0e5646030212856a7f022387a647694ba65e75a7",
                    "d90c0f78379454d51a428e312ac6db573060185c"), False),
    # Will Deacon's kvmtool thank-you with a git.kernel.org commit link
    "3b236c562b5d277bf5aae6ede75ee971f46a5da8": AppliedNote(
        "kvmtool", "master", None, ("336751fb10ef",), False),
    "d034197492284af160572eacc976aeedd20b3484": AppliedNote(
        "arm64", "for-next/misc", None, ("d658220a1c45",), False),
    # "I queued patches 3-27 on the arm64 for-next/sme, the rest went on …"
    "15d8ca85af9796f249cb80240cac8314f8bee897": AppliedNote(
        "arm64", "for-next/sme", tuple(range(3, 28)), (), True),
    "a38c32dcd8c798fcc04190f986e52ba1dff2df98": AppliedNote(None, None, (1, 2, 3, 4, 5), (), True),
    "276a9e4a3223583bab70c06787ef4a19e37c9a94": AppliedNote(
        "linux-leds.git", "for-5.4", None, (), False),
    "9519b0d3775017582de9627f332d87d766577826": AppliedNote(
        "5.18/scsi-staging", None, (2, 17, 24, 25), (), False),
    "8e27f2ff5c4d9a3cfeb44470b7a9dce490c6ae6f": AppliedNote(None, None, (1, 2, 3, 4), (), False),
    # "Applied to next, thanks!" only in the quote of Marc Zyngier's thank-you mail
    "e5a0795a705311457823b1cd60a3ae84bda3fa71": None,
    "80263673d4b510bdd2da61400eb12e05521fb2fc": None,
    # "my branch leds-cleanup-for-pavel? This is applied on top of Pavel's for-next"
    "38d4b42488511ac2259e501dc726370844e863e1": None,
    # hard negatives: git am output quoted by Lee Jones ("Applied patch … cleanly."),
    # a test report ("I applied this locally, but I'm seeing consistent boot failure"),
    # a question ("applied?"), a base ("I applied the patch on v5.10-rc2, then …"), a
    # tester ("Applied this series and verified that …")
    "6414b673b0e077fef4744899ce37168256fe06c5": None,
    "e6c914d748acdb33355e0df9f57216ba11a633f3": None,
    "20a0057bbb83789b97f82794c9f89b1fe8abd27c": None,
    "6aa60c177488d2cf3e2f2da279a15b0c9977dadf": None,
    "a1bb991a471af37767ddbb57ba040264e1bd7ffa": None,
}


@pytest.mark.parametrize("commit", sorted(NAMED))
def test_named_examples(judged: dict[str, tuple[Labelled, AppliedNote | None]],
                        commit: str) -> None:
    assert judged[commit][1] == NAMED[commit]
