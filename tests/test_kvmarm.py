"""Known facts of the shared kvmarm archive (../shared/archives/kvmarm), checked by hand.

Three ranges of 100 commits and one day were read with ``git log`` and
``git show COMMIT:m`` (headers, in-body From lines, bodies, threading) and the
digest is asserted against what they show, through the command line and the
Python API:

- MAY2019 (5f472b229c28..a61a2d432b73): a [GIT PULL] and its 56 patches, all
  sent by Marc Zyngier with an in-body From naming the author; folded subjects;
  two complete series with cover letters, an AUTOSEL pair of 95 and a v6 0/5
  cut by the range's end (4/5 and 5/5 missing).
- JUNE2019 (1f3b420eefd9..9a04aa6911e9): a [GIT PULL] whose [PATCH 1/3] has the
  in-body From of Christoffer Dall; a 29-patch series with authors named in-body,
  one of whom writes his name two ways ("Liu, Yi L" twice, "Yi L Liu" once).
- MAY2020 (a24576bae834..4bb3463450ec): cover letters with complete series; the
  [PATCH 2/2] of <63cf2230…@nubificus.co.uk> committed twice (c61fab6ce521 and
  49f5f37d7457); a V4 00/17 series of which only 04, 05 and 06 are posted; patches 01 and
  05 of RFC v12 ptp_kvm with in-body Froms (Will Deacon, Thomas Gleixner); the
  subject of 01/11 folded across two header lines in the raw mail.
- 2020-05-22 (by Date, UTC): 17 messages: the 12 of RFC v12 ptp_kvm and 5 replies.

The archive holds no relay-munged ("via") From; test_mail.py covers those rules.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.cli.digest_cmd import make_digest
from listdigest.digest import collect
from listdigest.mail.scan import scan
from listdigest.model.series import Series, group_series
from listdigest.sources.archive import Archive

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "archives" / "kvmarm"
MAY2019 = ("5f472b229c28", "a61a2d432b73")
JUNE2019 = ("1f3b420eefd9", "9a04aa6911e9")
MAY2020 = ("a24576bae834", "4bb3463450ec")
SEPARATOR = "-" * 70


@pytest.fixture(scope="module", autouse=True)
def no_default_index(tmp_path_factory: pytest.TempPathFactory):
    """Read git, never an index some earlier run left in the user's data folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        yield


@cache
def run(*args: str) -> tuple[int, str, str]:
    """``listdigest digest ARCHIVE ARGS`` in-process: (exit status, stdout, stderr)."""
    result = CliRunner().invoke(cli, ["digest", str(ARCHIVE), *args],
                                env={"XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]})
    return result.exit_code, result.stdout, result.stderr


def digest_of(rng: tuple[str, str], *extra: str) -> tuple[str, str]:
    status, out, err = run("--from", rng[0], "--to", rng[1], *extra)
    assert status == 0, err
    return out, err


def section(out: str, start: str, end: str | None = None) -> list[str]:
    """The lines of the digest between the line ``start`` and the line ``end``."""
    lines = out.splitlines()
    i = lines.index(start) + 1
    j = lines.index(end, i) if end else len(lines)
    return lines[i:j]


def table(out: str, title: str) -> list[str]:
    """The rows of a table: the lines after its title and blank line, up to a blank."""
    rows = section(out, title)[1:]
    return rows[: rows.index("")]


def summary_numbers(err: str) -> list[int]:
    """commits, messages, patch emails, replies, other, duplicates, skipped."""
    (line,) = [x for x in err.splitlines() if re.search(r"\d+ commits", x)]
    return [int(n) for n in re.findall(r"\d+", line)][:7]


def entries(out: str) -> list[list[str]]:
    """The commit-message entries: each a list of lines, from "New:" to before the
    separator."""
    found = []
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("New:  "):
            found.append(lines[i: lines.index(SEPARATOR, i) - 1])
    return found


def entry(out: str, subject: str) -> list[str]:
    (match,) = [e for e in entries(out) if e[1] == subject]
    return match


DOMAINS = "Top 15 contributor Email domains (Based on Email Body)"
PEOPLE = "Top 15 contributors (Based on Email Body)"
PATCH_LIST = "===== Patch list in this time period ====="
MESSAGES = "===== Patch Commit Messages ===="


# --- May 2020: cover letters, a duplicate, a folded subject, in-body From ---------------

def test_may2020_title_and_summary() -> None:
    out, err = digest_of(MAY2020)
    assert out.splitlines()[:2] == ["From a24576bae to 4bb346345",
                                    "kvmarm mailing list update from a24576bae to 4bb346345"]
    # 35 patch emails (6 covers), 63 replies (Re:/RE:), one [RFC] question, one
    # duplicate of <63cf2230…>; every commit adds a message.
    assert summary_numbers(err) == [100, 100, 35, 63, 1, 1, 0]
    assert err.splitlines() == ["listdigest: kvmarm: 100 commits: 100 messages (35 patch "
                                "emails, 63 replies, 1 other, 1 duplicate), 0 skipped"]
    _, verbose = digest_of(MAY2020, "-v")  # -v names the duplicate
    dup = [x for x in verbose.splitlines() if "63cf223058e7963891dcfb8cf0c5ccfe31548712" in x]
    assert dup == ["listdigest: duplicate <63cf223058e7963891dcfb8cf0c5ccfe31548712.1589784221"
                   ".git.ananos@nubificus.co.uk> in 49f5f37d7457 counted once"]
    _, quiet = digest_of(MAY2020, "-q")
    assert quiet == ""


def test_may2020_tables() -> None:
    out, _ = digest_of(MAY2020)
    assert table(out, DOMAINS) == [
        "     15 huawei.com",
        "     13 arm.com",
        "      3 nubificus.co.uk",
        "      2 kernel.org",
        "      1 google.com",
        "      1 linutronix.de",
    ]
    assert table(out, PEOPLE) == [
        "      9  Jianyong Wu <jianyong.wu@arm.com>",
        "      8  Keqian Zhu <zhukeqian1@huawei.com>",
        "      7  Jingyi Wang <wangjingyi11@huawei.com>",
        "      4  Anshuman Khandual <anshuman.khandual@arm.com>",
        "      3  Anastassios Nanos <ananos@nubificus.co.uk>",
        "      2  Will Deacon <will@kernel.org>",
        "      1  Andrew Scull <ascull@google.com>",
        "      1  Thomas Gleixner <tglx@linutronix.de>",
    ]


def test_top_limits_the_tables() -> None:
    out, _ = digest_of(MAY2020, "--top", "2")
    assert table(out, "Top 2 contributor Email domains (Based on Email Body)") == [
        "     15 huawei.com", "     13 arm.com"]
    assert table(out, "Top 2 contributors (Based on Email Body)") == [
        "      9  Jianyong Wu <jianyong.wu@arm.com>",
        "      8  Keqian Zhu <zhukeqian1@huawei.com>"]


MAY2020_PATCHES = {  # subject: contributor, as git show tells
    "[kvm-unit-tests PATCH 0/6] arm64: add IPI/LPI/vtimer latency": "wangjingyi11@huawei.com",
    "[kvm-unit-tests PATCH 4/6] arm64: its: Handle its command queue wrapping":
        "wangjingyi11@huawei.com",
    "[PATCH 2/2] KVMM: Memory and interface related changes": "ananos@nubificus.co.uk",
    "[PATCH V4 06/17] arm64/cpufeature: Introduce ID_MMFR5 CPU register":
        "anshuman.khandual@arm.com",
    "[PATCH] arm64: kvm: Remove obsolete kvm_virt_to_phys abstraction": "ascull@google.com",
    "[RFC PATCH v12 01/11] arm64: Probe for the presence of KVM hypervisor services during boot":
        "will@kernel.org",
    "[RFC PATCH v12 02/11] arm/arm64: KVM: Advertise KVM UID to guests via SMCCC":
        "will@kernel.org",
    "[RFC PATCH v12 05/11] time: Add mechanism to recognize clocksource in time_get_snapshot":
        "tglx@linutronix.de",
    "[RFC PATCH v12 11/11] arm64: Add kvm capability check extension for ptp_kvm":
        "jianyong.wu@arm.com",
    "[RFC PATCH 7/7] KVM: arm64: Enable stage2 hardware DBM": "zhukeqian1@huawei.com",
}


def test_may2020_patch_list_names_every_patch_once() -> None:
    out, _ = digest_of(MAY2020)
    listed = section(out, PATCH_LIST, MESSAGES)
    for subject, address in MAY2020_PATCHES.items():
        lines = [x for x in listed if subject in x]
        assert len(lines) == 1, subject  # the duplicate 2/2 too
        assert address in lines[0]
    assert not [x for x in listed if "Re: " in x or "RE: " in x]
    assert not [x for x in listed if "Use SMMU HTTU for DMA dirty page tracking" in x]
    # 35 patch emails, each on a line with its subject in brackets.
    assert len([x for x in listed if re.search(r"\[[^]]*PATCH[^]]*\] ", x)]) == 35


def test_may2020_commit_message_entries() -> None:
    out, _ = digest_of(MAY2020)
    assert [e[0] for e in entries(out)] == [
        "New:  arm64: add IPI/LPI/vtimer latency",
        "New:  arm64: microbench: get correct ipi recieved num",
        "New:  Expose KVM API to Linux Kernel",
        "New:  KVMM: export needed symbols",
        "New:  arm64/cpufeature: Introduce ID_PFR2, ID_DFR1, ID_MMFR5 and other changes",
        "New:  arm64/cpufeature: Introduce ID_PFR2 CPU register",
        "New:  arm64: kvm: Remove obsolete kvm_virt_to_phys abstraction",
        "New:  Enable ptp_kvm for arm64",
        "New:  arm64: Probe for the presence of KVM hypervisor services during boot",
        "New:  kvm: arm64: Support stage2 hardware DBM",
        "New:  KVM: arm64: Add some basic functions for hw DBM",
    ]
    assert "Re: " not in "\n".join(section(out, MESSAGES))


def test_may2020_folded_subject_and_inbody_from_entry() -> None:
    # Raw: "Subject: [RFC PATCH v12 01/11] arm64: Probe for the presence of KVM hypervisor"
    #      " services during boot", sent by Jianyong Wu, body "From: Will Deacon …".
    out, _ = digest_of(MAY2020)
    subject = ("[RFC PATCH v12 01/11] arm64: Probe for the presence of KVM hypervisor services"
               " during boot")
    assert entry(out, subject) == [
        "New:  arm64: Probe for the presence of KVM hypervisor services during boot",
        subject,
        "Author: Will Deacon <will@kernel.org>",
        "",
        "Although the SMCCC specification provides some limited functionality for",
        "describing the presence of hypervisor and firmware services, this is",
        "generally applicable only to functions designated as \"Arm Architecture",
        "Service Functions\" and no portable discovery mechanism is provided for",
        "standard hypervisor services, despite having a designated range of",
        "function identifiers reserved by the specification.",
        "",
        "In an attempt to avoid the need for additional firmware changes every",
        "time a new function is added, introduce a UID to identify the service",
        "provider as being compatible with KVM. Once this has been established,",
        "additional services can be discovered via a feature bitmap.",
        "",
        "Cc: Marc Zyngier <maz@kernel.org>",
        "Signed-off-by: Will Deacon <will@kernel.org>",
        "Signed-off-by: Jianyong Wu <jianyong.wu@arm.com>",
        "---",
        " arch/arm64/include/asm/hypervisor.h | 11 +++++++++",
        " arch/arm64/kernel/setup.c           | 36 +++++++++++++++++++++++++++++",
        " include/linux/arm-smccc.h           | 26 +++++++++++++++++++++",
        " 3 files changed, 73 insertions(+)",
    ]


def test_may2020_cover_letter_and_first_patch_entries() -> None:
    out, _ = digest_of(MAY2020)
    cover = entry(out, "[kvm-unit-tests PATCH 0/6] arm64: add IPI/LPI/vtimer latency")
    assert cover[:6] == [
        "New:  arm64: add IPI/LPI/vtimer latency",
        "[kvm-unit-tests PATCH 0/6] arm64: add IPI/LPI/vtimer latency",
        "Author: Jingyi Wang <wangjingyi11@huawei.com>",
        "",
        "With the development of arm gic architecture, we think it will be useful",
        "to add some performance test in kut to measure the cost of interrupts.",
    ]
    # The diffstat ends the entry; the "-- " signature and the Mailman footer are gone.
    assert cover[-6:] == [
        "",
        " arm/micro-bench.c          | 215 +++++++++++++++++++++++++++++++------",
        " lib/arm/asm/gic-v3.h       |   5 +",
        " lib/arm/asm/gic.h          |   1 +",
        " lib/arm64/gic-v3-its-cmd.c |   3 +-",
        " 4 files changed, 192 insertions(+), 32 deletions(-)",
    ]
    assert entry(out, "[kvm-unit-tests PATCH 1/6] arm64: microbench: get correct ipi recieved num"
                 ) == [
        "New:  arm64: microbench: get correct ipi recieved num",
        "[kvm-unit-tests PATCH 1/6] arm64: microbench: get correct ipi recieved num",
        "Author: Jingyi Wang <wangjingyi11@huawei.com>",
        "",
        "If ipi_exec() fails because of timeout, we shouldn't increase",
        "the number of ipi received.",
        "",
        "Signed-off-by: Jingyi Wang <wangjingyi11@huawei.com>",
        "---",
        " arm/micro-bench.c | 4 +++-",
        " 1 file changed, 3 insertions(+), 1 deletion(-)",
    ]


def test_all_shows_every_patch_email() -> None:
    out, _ = digest_of(MAY2020, "--all")
    assert len(entries(out)) == 35
    assert len([e for e in entries(out) if e[1].startswith("[RFC PATCH v12 ")]) == 12


def test_may2020_json() -> None:
    out, _ = digest_of(MAY2020, "--format", "json")
    data = json.loads(out)
    s = data["summary"]
    assert [s["commits"], s["messages"], s["patch_emails"], s["replies"], s["other"],
            s["duplicates"], s["skipped"]] == [100, 100, 35, 63, 1, 1, 0]
    assert [(d["message_id"], d["commit"]) for d in data["duplicates"]] == [(
        "63cf223058e7963891dcfb8cf0c5ccfe31548712.1589784221.git.ananos@nubificus.co.uk",
        "49f5f37d7457174a928f05615da807a79811f5b8")]
    patches = {p["commit"]: p for s in data["series"] for p in s["patches"]}
    assert len(patches) == 35
    p = patches["baca990bddf5fb1953a88d18c50a350ea663c3ed"]
    assert p["message_id"] == "20200522083724.38182-2-jianyong.wu@arm.com"
    assert p["date"] == "2020-05-22T08:37:14Z"  # Date: Fri, 22 May 2020 16:37:14 +0800
    assert p["author"] == {"name": "Will Deacon", "address": "will@kernel.org"}
    kept = patches["c61fab6ce521b30a4f14e053c7b3a7af768d22d1"]  # the first of the two
    assert kept["message_id"] == (
        "63cf223058e7963891dcfb8cf0c5ccfe31548712.1589784221.git.ananos@nubificus.co.uk")
    assert kept["date"] == "2020-05-18T06:59:06Z"  # Date: Mon, 18 May 2020 09:59:06 +0300
    assert kept["author"] == {"name": "Anastassios Nanos", "address": "ananos@nubificus.co.uk"}
    assert "49f5f37d7457174a928f05615da807a79811f5b8" not in patches
    assert [(r["count"], r["domain"]) for r in data["domains"]][:2] == [(15, "huawei.com"),
                                                                        (13, "arm.com")]


def ids(s: Series) -> list[str]:
    """Commit ids (12 digits) of a series: cover letter first, then by number."""
    return [m.commit[:12] for m in s.messages]


@cache
def api_series(rng: tuple[str, str]) -> tuple[list[Series], object]:
    archive = Archive.open(ARCHIVE)
    messages, acc = collect(scan(archive, archive.commits(*rng)))
    return group_series(messages), acc


def test_may2020_series_grouping_api() -> None:
    series, acc = api_series(MAY2020)
    assert (acc.commits, acc.patch_emails, acc.replies, acc.other, len(acc.duplicates),
            len(acc.skipped)) == (100, 35, 63, 1, 1, 0)
    assert [ids(s) for s in series] == [
        ["efc79f19d886", "6c94514dc175", "555aa6174bd6", "eb0626522bf5", "82aa93521b41",
         "78768481b05d", "85fb557319ff"],
        ["09ccb5647ddd", "a9df17735d48", "c61fab6ce521"],
        ["3fef4435a69e", "304d98e777e4", "b30de2a9308a", "a00b61d451c5"],
        ["a87052b7bb68"],
        ["67293aa027c2", "baca990bddf5", "3b58a59c680d", "59c38b65420d", "27e28ec70c01",
         "1a266e75fd1a", "b2ef084033ed", "729349ad08c0", "657f1dd48887", "df676ec8b9fe",
         "569048424e28", "648052a176cc"],
        ["966de5908957", "81d5180d3954", "a3753fdae097", "7f86a6ee2fca", "5a6d347f784d",
         "02bc96f9d3ea", "cb3ab299ac04", "a07a64968598"],
    ]
    assert [s.missing for s in series] == [[], [], [1, 2, 3, *range(7, 18)], [], [], []]
    assert [(s.version, s.total) for s in series] == [(1, 6), (1, 2), (4, 17), (1, None),
                                                      (12, 11), (1, 7)]
    assert [s.cover is not None for s in series] == [True, True, True, False, True, True]
    assert series[4].title == "Enable ptp_kvm for arm64"


def test_make_digest_api_matches_the_command() -> None:
    d = make_digest(Archive.open(ARCHIVE), rev_from=MAY2020[0], rev_to=MAY2020[1], since=None,
                    until=None, name=None, top=15, show_all=False)
    assert (d.list_name, d.start, d.end) == ("kvmarm", "a24576bae", "4bb346345")
    assert [(r.count, r.key) for r in d.contributors][:3] == [
        (9, "jianyong.wu@arm.com"), (8, "zhukeqian1@huawei.com"), (7, "wangjingyi11@huawei.com")]
    assert len(d.patches) == 35
    assert [m.commit[:12] for _, m in d.entries][:2] == ["efc79f19d886", "6c94514dc175"]


# --- May 2019: a pull request's 56 patches, in-body From -------------------------------

def test_may2019_summary_and_tables() -> None:
    out, err = digest_of(MAY2019)
    assert out.splitlines()[:2] == ["From 5f472b229 to a61a2d432",
                                    "kvmarm mailing list update from 5f472b229 to a61a2d432"]
    assert summary_numbers(err) == [100, 100, 72, 27, 1, 0, 0]
    assert table(out, DOMAINS) == ["     72 arm.com"]
    # Dave Martin <Dave.Martin@arm.com> writes his address in mixed case.
    assert table(out, PEOPLE) == [
        "     41  Dave Martin <dave.martin@arm.com>",
        "     19  Andrew Murray <andrew.murray@arm.com>",
        "      4  Andre Przywara <andre.przywara@arm.com>",
        "      3  Amit Daniel Kachhap <amit.kachhap@arm.com>",
        "      2  Marc Zyngier <marc.zyngier@arm.com>",
        "      1  Kristina Martsenko <kristina.martsenko@arm.com>",
        "      1  Mark Rutland <mark.rutland@arm.com>",
        "      1  Punit Agrawal <punit.agrawal@arm.com>",
    ]


def test_may2019_first_patch_of_the_pull_request() -> None:
    # Raw subject folded after "in"; sent by Marc Zyngier; body "From: Dave Martin
    # <Dave.Martin@arm.com>".
    out, _ = digest_of(MAY2019)
    subject = "[PATCH 01/56] KVM: Documentation: Document arm64 core registers in detail"
    assert entry(out, subject) == [
        "New:  KVM: Documentation: Document arm64 core registers in detail",
        subject,
        "Author: Dave Martin <dave.martin@arm.com>",
        "",
        "Since the the sizes of individual members of the core arm64",
        "registers vary, the list of register encodings that make sense is",
        "not a simple linear sequence.",
        "",
        "To clarify which encodings to use, this patch adds a brief list",
        "to the documentation.",
        "",
        "Signed-off-by: Dave Martin <Dave.Martin@arm.com>",
        "Reviewed-by: Julien Grall <julien.grall@arm.com>",
        "Reviewed-by: Peter Maydell <peter.maydell@linaro.org>",
        "Signed-off-by: Marc Zyngier <marc.zyngier@arm.com>",
        "---",
        " Documentation/virtual/kvm/api.txt | 24 ++++++++++++++++++++++++",
        " 1 file changed, 24 insertions(+)",
    ]
    # The pull request itself is no patch email: the 56 patches have no cover letter.
    assert not [e for e in entries(out) if "[GIT PULL]" in e[1]]


def test_may2019_series_grouping_api() -> None:
    series, _ = api_series(MAY2019)
    assert [(ids(s)[0], len(s.messages), s.cover is not None, s.version, s.total)
            for s in series] == [
        ("a9515bd56001", 6, True, 5, 5),
        ("d9355e6c1bed", 56, False, 1, 56),
        ("3a074859c223", 4, True, 6, 3),
        ("4b5d0d842016", 2, False, 1, 95),
        ("67b4098489ec", 4, True, 6, 5),
    ]
    pull = series[1]
    assert sorted(pull.patches) == list(range(1, 57))
    assert ids(pull)[-1] == "d3cb420a3614"
    assert pull.title == "KVM: Documentation: Document arm64 core registers in detail"
    assert ids(series[3]) == ["4b5d0d842016", "90ebccd64945"]
    assert sorted(series[3].patches) == [42, 63]
    assert series[3].missing == [n for n in range(1, 96) if n not in (42, 63)]
    assert ids(series[4]) == ["67b4098489ec", "287167c77294", "a6ca5be94e89", "a61a2d432b73"]
    assert series[4].missing == [4, 5]
    authors = [pull.patches[n].author_addr for n in (1, 43, 44, 47, 56)]
    assert authors == ["dave.martin@arm.com", "amit.kachhap@arm.com", "mark.rutland@arm.com",
                       "andrew.murray@arm.com", "kristina.martsenko@arm.com"]
    assert {m.from_addr for m in pull.messages} == {"marc.zyngier@arm.com"}


# --- June 2019: a pull request's patches and a name written two ways ------------------

def test_june2019_summary_and_tables() -> None:
    out, err = digest_of(JUNE2019)
    assert summary_numbers(err) == [100, 100, 54, 44, 2, 0, 0]
    assert table(out, DOMAINS) == ["     25 arm.com", "     20 redhat.com",
                                   "      9 linux.intel.com"]
    # yi.l.liu@linux.intel.com signs "Liu, Yi L" twice and "Yi L Liu" once: one row,
    # under the name used most, quoted because of its comma.
    assert table(out, PEOPLE) == [
        "     18  Eric Auger <eric.auger@redhat.com>",
        "     11  Jean-Philippe Brucker <jean-philippe.brucker@arm.com>",
        "      9  Dave Martin <dave.martin@arm.com>",
        "      6  Jacob Pan <jacob.jun.pan@linux.intel.com>",
        "      3  \"Liu, Yi L\" <yi.l.liu@linux.intel.com>",
        "      2  James Morse <james.morse@arm.com>",
        "      1  Amit Daniel Kachhap <amit.kachhap@arm.com>",
        "      1  Andrew Jones <drjones@redhat.com>",
        "      1  Christoffer Dall <christoffer.dall@arm.com>",
        "      1  Suzuki K Poulose <suzuki.poulose@arm.com>",
        "      1  Thomas Huth <thuth@redhat.com>",
    ]


def test_june2019_entries() -> None:
    out, _ = digest_of(JUNE2019)
    assert [e[0] for e in entries(out)] == [
        "New:  MAINTAINERS: KVM: arm/arm64: Remove myself as maintainer",
        "New:  mm, compaction: Make sure we isolate a valid PFN",
        "New:  SMMUv3 Nested Stage Setup",
        "New:  driver core: Add per device iommu param",
        "New:  KVM: arm/arm64: fix emulated ptimer irq injection",
        "New:  KVM: Remove obsolete address of the FSF",
        "New:  arm64: Pointer Authentication and SVE support",
        "New:  update_headers.sh: Add missing shell quoting",
        "New:  Add virtio-iommu driver",
        "New:  dt-bindings: virtio-mmio: Add IOMMU description",
    ]
    subject = "[PATCH 1/3] MAINTAINERS: KVM: arm/arm64: Remove myself as maintainer"
    assert entry(out, subject) == [
        "New:  MAINTAINERS: KVM: arm/arm64: Remove myself as maintainer",
        subject,
        "Author: Christoffer Dall <christoffer.dall@arm.com>",
        "",
        "I no longer have time to actively review patches and manage the tree and",
        "it's time to make that official.",
        "",
        "Huge thanks to the incredible Linux community and all the contributors",
        "who have put up with me over the past years.",
        "",
        "I also take this opportunity to remove the website link to the Columbia",
        "web page, as that information is no longer up to date and I don't know",
        "who manages that anymore.",
        "",
        "Signed-off-by: Christoffer Dall <christoffer.dall@arm.com>",
        "Signed-off-by: Marc Zyngier <marc.zyngier@arm.com>",
        "---",
        " MAINTAINERS | 2 --",
        " 1 file changed, 2 deletions(-)",
    ]


def test_june2019_series_grouping_api() -> None:
    series, _ = api_series(JUNE2019)
    assert [(ids(s)[0], len(s.messages), s.cover is not None, s.missing) for s in series] == [
        ("aedf79fa9e27", 3, False, []),  # threaded under the [GIT PULL] 9800d6e7c279
        ("375d3c3a522d", 1, False, []),
        ("ead26f15cb24", 30, True, []),
        ("922895427ef6", 1, False, []),
        ("2d062374e0e0", 1, False, []),
        ("1d23bdc500d3", 10, True, []),
        ("db21a194767d", 8, True, []),
    ]
    assert ids(series[0]) == ["aedf79fa9e27", "6a51ca54bec0", "e076a5745a59"]
    assert [m.author_name for m in series[0].messages] == ["Christoffer Dall", "James Morse",
                                                           "James Morse"]
    assert ids(series[2])[-1] == "2a4955b8a41b"
    smmu = series[2].patches
    assert (smmu[9].author_name, smmu[22].author_name) == ("Yi L Liu", "Liu, Yi L")


# --- by date -----------------------------------------------------------------------------

def test_one_day_by_date() -> None:
    status, out, err = run("--since", "2020-05-22", "--until", "2020-05-22")
    assert status == 0, err
    # The title names the commits of the range's first and last message in archive
    # order: dc8708611 (Date: Fri, 22 May 2020 10:32:25 +0800, a reply about
    # kvm-unit-tests) and 61f7d9f20 (Date: Fri, 22 May 2020 19:14:52 +0200, "Re: [RFC]
    # Use SMMU HTTU for DMA dirty page tracking"), both committed on 2020-05-26.
    assert out.splitlines()[:2] == ["From 2020-05-22 to 2020-05-22 (dc8708611..61f7d9f20)",
                                    "kvmarm mailing list update from 2020-05-22 to 2020-05-22"]
    # Committed to the archive days later: the Date header decides, not the commit time.
    assert summary_numbers(err) == [17, 17, 12, 5, 0, 0, 0]
    assert table(out, DOMAINS) == ["      9 arm.com", "      2 kernel.org",
                                   "      1 linutronix.de"]
    assert table(out, PEOPLE) == ["      9  Jianyong Wu <jianyong.wu@arm.com>",
                                  "      2  Will Deacon <will@kernel.org>",
                                  "      1  Thomas Gleixner <tglx@linutronix.de>"]
    assert [e[0] for e in entries(out)] == [
        "New:  Enable ptp_kvm for arm64",
        "New:  arm64: Probe for the presence of KVM hypervisor services during boot"]


def test_date_window_api() -> None:
    archive = Archive.open(ARCHIVE)
    items = list(scan(archive, archive.commits(*MAY2020)))

    def window(lo: str, hi: str) -> list[str]:
        a, b = (datetime.fromisoformat(x).replace(tzinfo=UTC).timestamp() for x in (lo, hi))
        messages, _ = collect(items, lambda ts: a <= ts <= b)
        return [m.commit[:12] for m in messages]

    # 01/11 … 07/11 are dated 08:37:14 … 08:37:20 UTC, one second apart.
    assert window("2020-05-22T08:37:14", "2020-05-22T08:37:20") == [
        "baca990bddf5", "3b58a59c680d", "59c38b65420d", "27e28ec70c01", "1a266e75fd1a",
        "b2ef084033ed", "729349ad08c0"]
    # Date: Fri, 22 May 2020 10:32:25 +0800 is the day's first message.
    assert window("2020-05-22T00:00:00", "2020-05-22T02:32:25") == ["dc8708611986"]
    assert len(window("2020-05-22T00:00:00", "2020-05-22T23:59:59")) == 17


# --- edges and errors ------------------------------------------------------------------

def test_empty_range_prints_the_layout() -> None:
    status, out, err = run("--from", MAY2020[0], "--to", MAY2020[0])
    assert status == 0, err
    assert out == (
        "From a24576bae to a24576bae\n"
        "kvmarm mailing list update from a24576bae to a24576bae\n\n"
        f"{DOMAINS}\n\n\n"
        f"{PEOPLE}\n\n\n"
        f"{PATCH_LIST}\n\n\n"
        f"{MESSAGES}\n\n"
    )
    assert summary_numbers(err) == [0, 0, 0, 0, 0, 0, 0]


def assert_one_error_line(status: int, err: str, *needles: str) -> None:
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("listdigest: error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in err


def test_unknown_revision() -> None:
    status, out, err = run("--from", "deadbeef", "--to", MAY2020[1])
    assert_one_error_line(status, err, "unknown revision", "deadbeef")
    assert out == ""


def test_missing_archive_and_non_archive_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["digest", str(tmp_path / "no-such-list")])
    assert_one_error_line(missing.exit_code, missing.stderr, "no such archive",
                          str(tmp_path / "no-such-list"))
    (tmp_path / "notes.txt").write_text("not a mailing list\n")
    folder = runner.invoke(cli, ["digest", str(tmp_path)])
    assert_one_error_line(folder.exit_code, folder.stderr, "not a public-inbox archive")


def test_installed_command_errors_without_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "listdigest"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    for args, needle in ([str(ARCHIVE), "--from", "0000000", "--to", MAY2020[1]],
                         "unknown revision"), ([str(tmp_path)], "not a public-inbox archive"):
        proc = subprocess.run([str(exe), "digest", *args], capture_output=True, text=True,
                              env=env, check=False)
        assert_one_error_line(proc.returncode, proc.stderr, needle)
        assert proc.stdout == ""
