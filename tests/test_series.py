"""Series as b4 sees them: patch emails without PATCH, covers with another total, a
diff-less [PATCH] over numbered patches, in-thread replacements.

Facts of the shared archives, read with ``git show COMMIT:m`` and checked by hand:

- kvmarm e7ddbccf2af4..da9b372de453 (2019-12-04): "[RFC 0/3] KVM/ARM: Misc PMU fixes"
  by Eric Auger and its three patches, no PATCH tag anywhere, each patch with a diff.
- kvmarm 3ac0e3356325..d7338c5acf54 (2022-11-04): "[v2 0/6] KVM: arm64: implement
  vcpu_is_preempted check" (Usama Arif) and patches "[v2 1/6]" … "[v2 6/6]".
- kvmarm 12ff907cac31 (2019-11-25): "[RFC PATCH v8 0/7] Enable ptp_kvm for arm64"
  (Jianyong Wu) over "[RFC PATCH v8 1/8]" … "8/8".
- linux-leds 9385048504360 (2023-10-30): "[Patch v6 0/8] ledtrig-tty: add additional
  tty state evaluation" (Florian Eckert) over "[Patch v6 1/7]" … "7/7".
- linux-leds 08be7d29ab81 (2024-02-29): "[PATCH] leds: fix 3 drivers' kernel-doc
  warnings" (Randy Dunlap) has no diff; "[PATCH v2 1/3]" … "3/3" reply to it.
"""

from __future__ import annotations

from pathlib import Path

from listdigest.digest import collect
from listdigest.mail.message import Message, parse_message
from listdigest.mail.scan import scan
from listdigest.model.series import Series, group_series
from listdigest.render.text import series_summary
from listdigest.sources.archive import Archive


def series_from(archive: Path, first: str, count: int) -> list[Series]:
    """The series of ``count`` commits from ``first`` on, read from git."""
    a = Archive.open(archive)
    messages, _ = collect(item for item, _ in zip(scan(a, a.commits(f"{first}~1", None)),
                                                  range(count), strict=False))
    return group_series(m for m in messages if m.is_patch_email)


def titled(series: list[Series], title: str) -> Series:
    (s,) = [s for s in series if s.title == title]
    return s


def numbers(s: Series) -> list[int]:
    return sorted(s.patches)


def test_rfc_only_series_with_a_diff_is_a_series(kvmarm: Path) -> None:
    (s,) = series_from(kvmarm, "e7ddbccf2af4", 4)
    assert s.cover is not None and s.cover.kind == "cover"
    assert s.title == "KVM/ARM: Misc PMU fixes"
    assert (numbers(s), s.missing, s.total) == ([1, 2, 3], [], 3)
    assert {m.kind for m in s.patches.values()} == {"patch"}
    assert s.cover.author_addr == "eric.auger@redhat.com"
    assert series_summary(s).startswith("RFC, 3 patches + cover letter")


def test_version_only_tags_make_a_series(kvmarm: Path) -> None:
    (s,) = series_from(kvmarm, "3ac0e3356325", 7)
    assert s.title == "KVM: arm64: implement vcpu_is_preempted check"
    assert (s.version, numbers(s), s.missing) == (2, [1, 2, 3, 4, 5, 6], [])
    assert s.patches[6].subject == (
        "[v2 6/6] KVM: selftests: add tests for PV time specific hypercall")


def test_cover_with_a_smaller_total_than_its_patches(kvmarm: Path) -> None:
    s = titled(series_from(kvmarm, "12ff907cac31", 40), "Enable ptp_kvm for arm64")
    assert s.cover is not None
    assert s.cover.subject == "[RFC PATCH v8 0/7] Enable ptp_kvm for arm64"
    assert (s.version, s.total, numbers(s), s.missing) == (8, 8, list(range(1, 9)), [])


def test_cover_with_a_larger_total_than_its_patches(leds: Path) -> None:
    s = titled(series_from(leds, "9385048504360", 40),
               "ledtrig-tty: add additional tty state evaluation")
    assert (s.version, s.total, numbers(s), s.missing) == (6, 7, list(range(1, 8)), [])
    assert series_summary(s).startswith("v6, 7 patches + cover letter")


def test_diff_less_unnumbered_patch_is_the_cover_of_patches_under_it(leds: Path) -> None:
    s = titled(series_from(leds, "08be7d29ab81", 10), "leds: fix 3 drivers' kernel-doc warnings")
    assert s.cover is not None
    assert s.cover.subject == "[PATCH] leds: fix 3 drivers' kernel-doc warnings"
    assert (s.version, s.total, numbers(s), s.missing) == (2, 3, [1, 2, 3], [])
    assert s.role(s.cover) == "cover" and s.cover.kind == "patch"


def mail(subject: str, n: str, *, reply_to: str = "", sender: str = "Ann <ann@example.org>",
         diff: bool = True) -> Message:
    """A message of Ann's v5 thread; ``reply_to`` names the message it answers."""
    refs = f"In-Reply-To: <{reply_to}>\nReferences: <v5-0> <{reply_to}>\n" if reply_to else ""
    body = "Text.\n---\n f | 1 +\n\ndiff --git a/f b/f\n+x\n" if diff else "Text.\n"
    raw = (f"From: {sender}\nSubject: {subject}\nDate: Mon, 3 Mar 2025 10:00:00 +0000\n"
           f"Message-ID: <{n}>\n{refs}\n{body}").encode()
    return parse_message(raw)[0]


def test_in_thread_replacements_are_shown_in_their_series() -> None:
    thread = [
        mail("[PATCH v5 0/4] widget: speed up", "v5-0", diff=False),
        *(mail(f"[PATCH v5 {n}/4] widget: step {n}", f"v5-{n}", reply_to="v5-0")
          for n in (1, 2, 3)),
        mail("[PATCH v5 3/4 (fix)] widget: step 3", "v5-3-fix", reply_to="v5-3"),
        mail("[PATCH v5 2/4 REPLACE] widget: step 2", "v5-2-r", reply_to="v5-2"),
    ]
    (s,) = group_series(thread)
    assert [m.message_id for m in s.messages] == [
        "v5-0", "v5-1", "v5-2", "v5-2-r", "v5-3", "v5-3-fix"]
    assert [s.role(m) for m in s.messages] == [
        "cover", "patch", "patch", "replacement", "patch", "replacement"]
    assert s.missing == [4]
    assert series_summary(s) == "v5, 3 patches of 4 + cover letter, 2 replacements; waiting"


def test_missing_never_names_a_number_of_the_thread() -> None:
    # Bob posts 4/4 of Ann's series in her thread: it is no patch of hers, but it is
    # there, so her series does not lack it.
    thread = [
        mail("[PATCH v5 0/4] widget: speed up", "v5-0", diff=False),
        *(mail(f"[PATCH v5 {n}/4] widget: step {n}", f"v5-{n}", reply_to="v5-0")
          for n in (1, 2, 3)),
        mail("[PATCH v5 4/4] widget: step 4", "v5-4", reply_to="v5-0",
             sender="Bob <bob@example.org>"),
    ]
    ann, bob = group_series(thread)
    assert (numbers(ann), ann.missing) == ([1, 2, 3], [])
    assert (bob.sender, numbers(bob), bob.missing) == ("bob@example.org", [4], [])
