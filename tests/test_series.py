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

import json
from pathlib import Path

from listdigest.digest import collect
from listdigest.mail.message import Message, parse_message
from listdigest.mail.scan import scan
from listdigest.model.series import Series, attach_replies, group_series
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


def test_a_nack_requests_changes_and_outranks_a_review() -> None:
    thread = [mail("[PATCH v5 0/2] widget: speed up", "v5-0", diff=False),
              *(mail(f"[PATCH v5 {n}/2] widget: step {n}", f"v5-{n}", reply_to="v5-0")
                for n in (1, 2))]
    review = mail("Re: [PATCH v5 1/2] widget: step 1", "r-1", reply_to="v5-1", diff=False,
                  sender="Bob <bob@example.org>")
    (s,) = group_series(thread)
    attach_replies([s], [review])
    assert s.state == "discussed"
    review = parse_message(b"From: Bob <bob@example.org>\nSubject: Re: [PATCH v5 1/2] widget\n"
                           b"Message-ID: <r-2>\nIn-Reply-To: <v5-1>\nReferences: <v5-0> <v5-1>"
                           b"\n\nLooks good.\n\nReviewed-by: Bob <bob@example.org>\n")[0]
    nack = parse_message(b"From: Cy <cy@example.org>\nSubject: Re: [PATCH v5 0/2] widget\n"
                         b"Message-ID: <r-3>\nIn-Reply-To: <v5-0>\nReferences: <v5-0>\n\n"
                         b"This breaks the ABI.\n\nNacked-by: Cy <cy@example.org>\n")[0]
    (s,) = group_series(thread)
    attach_replies([s], [review])
    assert s.state == "reviewed"
    (s,) = group_series(thread)
    attach_replies([s], [review, nack])
    assert s.state == "changes requested"


def test_a_maintainer_asking_for_a_respin_requests_changes(kvmarm: Path,
                                                           kvmarm_db: Path) -> None:
    # Oliver Upton's "[PATCH v3 00/19] KVM: arm64: Implement PSCI SYSTEM_SUSPEND"
    # (2022-02-23): Marc Zyngier answered on 2022-03-02 "Could you try and respin this?"
    # (<87a6e83cme.wl-maz@kernel.org>). Its Reviewed-by and Acked-by do not outrank
    # that, and no later version came under that title.
    _, data = leds_digest(kvmarm, kvmarm_db, "--since", "2022-02-23", "--until", "2022-02-23")
    (s,) = [s for s in data["series"]
            if s["title"] == "KVM: arm64: Implement PSCI SYSTEM_SUSPEND"]
    assert (s["version"], s["state"], s["later"]) == (3, "changes requested", [])
    assert s["reviews"] == {"Acked-by": 1, "Reviewed-by": 4}


def raw(subject: str, n: str, day: int, *, sender: str = "Ann Dev <ann@example.org>",
        reply_to: str = "", body: str = "Text.\n", root: str = "c0") -> bytes:
    refs = f"In-Reply-To: <{reply_to}>\nReferences: <{root}> <{reply_to}>\n" if reply_to else ""
    return (f"From: {sender}\nSubject: {subject}\nDate: Mon, {day} Mar 2025 10:00:00 +0000\n"
            f"Message-ID: <{n}>\n{refs}\n{body}").encode()


COVER = ("Speed the widget up.\n\nAnn Dev (2):\n  widget: one\n  widget: two\n\n"
         " w.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
         "base-commit: 0123456789abcdef0123456789abcdef01234567\n"
         "change-id: 20250303-widget-0a1b2c3d4e5f\n\nBest regards,\n-- \nAnn Dev\n")
DIFF = "Text.\n---\n w.c | 1 +\n\ndiff --git a/w.c b/w.c\n+x\n"


def test_reviewers_state_waiting_and_cover_text(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from listdigest.cli import cli
    from listdigest.demo import build_archive

    inbox = build_archive(tmp_path / "inbox", [
        raw("[PATCH 0/2] widget: speed up", "c0", 3, body=COVER),
        raw("[PATCH 1/2] widget: one", "p1", 3, reply_to="c0", body=DIFF),
        raw("[PATCH 2/2] widget: two", "p2", 3, reply_to="c0", body=DIFF),
        raw("Re: [PATCH 0/2] widget: speed up", "r1", 4, sender="Bob <bob@example.org>",
            reply_to="c0", body="> Speed\n\nReviewed-by: Bob Roe <bob@example.org>\n"),
        raw("Re: [PATCH 2/2] widget: two", "r2", 5, sender="Cy <cy@example.org>",
            reply_to="p2", body="Acked-by: Cy Lee <cy@example.org>\n"
                                "> Nacked-by: Quoted <q@example.org>\n"),
        raw("[PATCH] gadget: fix", "g1", 4, sender="Dee <dee@example.org>", body=DIFF),
        raw("[PATCH] doohickey: fix", "d1", 12, sender="Eve <eve@example.org>", body=DIFF),
    ])
    args = ["digest", str(inbox), "--no-history"]
    out = CliRunner().invoke(cli, args).stdout
    lines = out.splitlines()
    assert "widget: speed up (2 patches + cover letter, 2 replies; reviewed)" in lines
    assert "  Reviewed-by: Bob Roe; Acked-by: Cy Lee" in lines
    # Dee's patch has had no reply for 8 days at the newest message (Eve's, the 12th);
    # Eve's own is 0 days old.
    waiting = out.split("===== Waiting for review =====\n\n")[1].split("\n\n")[0]
    assert waiting == "gadget: fix - Dee <dee@example.org>, sent 2025-03-04"
    assert "gadget: fix (single patch; waiting)" in lines
    cover = out.split("[PATCH 0/2] widget: speed up\nAuthor: Ann Dev <ann@example.org>\n\n")[1]
    assert cover.split("\n\n---")[0].endswith(" 1 file changed, 1 insertion(+), 1 deletion(-)")
    assert "base-commit" not in out and "Best regards" not in out
    data = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert data["schema"] == 2
    widget = data["series"][0]
    assert (widget["state"], widget["base_commit"], widget["change_id"]) == (
        "reviewed", "0123456789abcdef0123456789abcdef01234567", "20250303-widget-0a1b2c3d4e5f")
    assert widget["reviewers"] == {"Reviewed-by": ["Bob Roe <bob@example.org>"],
                                   "Acked-by": ["Cy Lee <cy@example.org>"]}
    # The cover letter's Reviewed-by counts for both patches, the Acked-by for 2/2 alone.
    assert [p["reviewers"] for p in widget["patches"]] == [
        {"Reviewed-by": ["Bob Roe <bob@example.org>"]},
        {"Reviewed-by": ["Bob Roe <bob@example.org>"]},
        {"Reviewed-by": ["Bob Roe <bob@example.org>"], "Acked-by": ["Cy Lee <cy@example.org>"]}]
    assert [s["state"] for s in data["series"]] == ["reviewed", "waiting", "waiting"]
    wait_ten = CliRunner().invoke(cli, [*args, "--wait", "10"]).stdout
    assert "===== Waiting for review =====" not in wait_ten


def leds_digest(leds: Path, db: Path, *args: str) -> tuple[list[str], dict]:  # type: ignore[type-arg]
    from click.testing import CliRunner

    from listdigest.cli import cli

    base = ["digest", str(leds), "--db", str(db), *args]
    text = CliRunner().invoke(cli, base).stdout.splitlines()
    data = json.loads(CliRunner().invoke(cli, [*base, "--format", "json"]).stdout)
    return text, data


def test_applied_reply_after_the_range(leds: Path, leds_db: Path) -> None:
    # Arnd Bergmann's patch of 2025-06-20; Randy Dunlap's Reviewed-by and Tested-by on
    # the 25th; Lee Jones's b4 thank-you ("Applied, thanks!", commit c3c38e80…) on
    # 2025-07-01, long after the one-day range.
    title = "leds: tps6131x: add V4L2_FLASH_LED_CLASS dependency"
    text, data = leds_digest(leds, leds_db, "--since", "2025-06-20", "--until", "2025-06-20")
    assert f"{title} (single patch, 2 replies; applied)" in text
    assert "  Reviewed-by: Randy Dunlap; Tested-by: Randy Dunlap" in text
    (s,) = [s for s in data["series"] if s["title"] == title]
    assert s["state"] == "applied"
    assert s["applied"] == {
        "by": "Lee Jones <lee@kernel.org>", "date": "2025-07-01T13:26:37Z",
        "message_id": "175137639786.2318853.6677778376417525201.b4-ty@kernel.org",
        "tree": None, "branch": None,
        "patches": "all", "commits": ["c3c38e80016548685e439b23999b4f0bd0ad7e05"],
        "queued": False}
    assert s["reviewers"] == {"Reviewed-by": ["Randy Dunlap <rdunlap@infradead.org>"],
                              "Tested-by": ["Randy Dunlap <rdunlap@infradead.org>"]}
    text, _ = leds_digest(leds, leds_db, "--since", "2025-06-20", "--until", "2025-06-20",
                          "--no-history")
    assert f"{title} (single patch; waiting)" in text


def test_false_applied_notes_leave_a_series_discussed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from listdigest.cli import cli
    from listdigest.demo import build_archive

    inbox = build_archive(tmp_path / "inbox", [
        raw("[PATCH 0/2] widget: speed up", "c0", 3, body=COVER),
        raw("[PATCH 1/2] widget: one", "p1", 3, reply_to="c0", body=DIFF),
        raw("[PATCH 2/2] widget: two", "p2", 3, reply_to="c0", body=DIFF),
        # quoted, "applied on top of … this breaks", and the series' own sender
        raw("Re: [PATCH 0/2] widget: speed up", "r1", 4, sender="Bob <bob@example.org>",
            reply_to="c0", body="> Applied to widget-next, thanks!\n\nNot by me.\n"),
        raw("Re: [PATCH 1/2] widget: one", "r2", 4, sender="Cy <cy@example.org>",
            reply_to="p1", body="Applied on top of v6.14-rc1 and this breaks the build.\n"),
        raw("Re: [PATCH 0/2] widget: speed up", "r3", 5, reply_to="c0",
            body="Applied to my tree for testing, thanks.\n"),
        # a real note for another posting: one patch of two
        raw("[PATCH 0/2] gadget: fix", "g0", 6, body=COVER),
        raw("[PATCH 1/2] gadget: one", "g1", 6, reply_to="g0", body=DIFF, root="g0"),
        raw("[PATCH 2/2] gadget: two", "g2", 6, reply_to="g0", body=DIFF, root="g0"),
        raw("Re: [PATCH 2/2] gadget: two", "q2", 7, sender="Max <max@example.org>",
            reply_to="g2", body="Applied to widget-next, thanks!\n", root="g0"),
    ])
    data = json.loads(CliRunner().invoke(
        cli, ["digest", str(inbox), "--no-history", "--format", "json"]).stdout)
    widget, gadget = data["series"]
    assert (widget["state"], widget["applied"]) == ("discussed", None)
    assert gadget["state"] == "partly applied"
    assert (gadget["applied"]["by"], gadget["applied"]["patches"]) == (
        "Max <max@example.org>", [2])


def test_reroll_linked_by_change_id_whose_title_changed(leds: Path, leds_db: Path) -> None:
    # Duje Mihanović's KTD2801 driver, change-id 20231004-ktd2801-0f3883cb59d0: v1
    # (2023-10-05) and v2 titled "Kinetic KTD2801 backlight driver", v3 (2024-01-20)
    # "Kinetic ExpressWire library and KTD2801 backlight driver", then v4 and v5.
    text, data = leds_digest(leds, leds_db, "--since", "2024-01-20", "--until", "2024-01-20")
    title = "Kinetic ExpressWire library and KTD2801 backlight driver"
    (s,) = [s for s in data["series"] if s["title"] == title]
    assert s["change_id"] == "20231004-ktd2801-0f3883cb59d0"
    assert [(p["version"], p["date"][:10], p["message_id"]) for p in s["earlier"]] == [
        (1, "2023-10-05", "20231005-ktd2801-v1-0-43cd85b0629a@skole.hr"),
        (2, "2024-01-18", "20240118-ktd2801-v2-0-425cf32e0769@skole.hr")]
    assert [(p["version"], p["date"][:10]) for p in s["later"]] == [
        (4, "2024-01-22"), (5, "2024-01-25")]
    assert s["state"] == "superseded"
    assert (f"{title} (v3, 3 patches + cover letter, 13 replies; superseded by v5 (2024-01-25);"
            " earlier: v1 2023-10-05, v2 2024-01-18)") in text


def test_rfc_v1_and_v2_linked_both_ways(leds: Path, leds_db: Path) -> None:
    # Johan Adolfsson's "[PATCH RFC] leds: leds-lp50xx: Handle reg to get correct
    # multi_index" (2025-05-06) and "[PATCH RFC v2 0/2] leds-lp50xx: Support reg to set
    # multi_index." (2025-05-22): one change-id, two titles.
    _, v1 = leds_digest(leds, leds_db, "--since", "2025-05-06", "--until", "2025-05-06")
    _, v2 = leds_digest(leds, leds_db, "--since", "2025-05-22", "--until", "2025-05-22")
    (first,) = [s for s in v1["series"] if "lp50xx" in s["title"]]
    (second,) = [s for s in v2["series"] if "lp50xx" in s["title"]]
    assert first["later"][0]["message_id"] == "20250522-led-fix-v2-0-652046323ec3@axis.com"
    assert second["earlier"] == [{"version": 1, "date": "2025-05-06T10:39:32Z",
                                  "message_id": "20250506-led-fix-v1-1-56a39b55a7fc@axis.com",
                                  "link": None}]
    assert (first["state"], second["state"]) == ("superseded", "superseded")


def test_stable_backports_are_not_versions_of_each_other(leds: Path, leds_db: Path) -> None:
    # Sasha Levin's AUTOSEL backports of one fix to 6.15, 6.14, 6.12, 6.6, 6.1, 5.15 and
    # 5.10 on 2025-06-06: same subject and author, other stable tags.
    _, data = leds_digest(leds, leds_db, "--since", "2025-06-06", "--until", "2025-06-06")
    backports = [s for s in data["series"]
                 if s["title"] == "leds: multicolor: Fix intensity setting while SW blinking"]
    assert len(backports) == 7
    assert all(s["earlier"] == s["later"] == [] for s in backports)


def test_lore_links_of_a_changelog() -> None:
    from listdigest.index.history import lore_links

    text = ("v2: https://lore.kernel.org/all/20250101-x-v1-0-abc@example.org/\n"
            "v1: https://lore.kernel.org/linux-leds/a%2Bb@example.org (see there)\n"
            "also https://lore.kernel.org/r/20250101-x-v1-0-abc@example.org/T/#u\n")
    assert lore_links(text) == ["20250101-x-v1-0-abc@example.org", "a+b@example.org"]


def test_series_command_prints_the_life_of_a_series(leds: Path, leds_db: Path) -> None:
    from click.testing import CliRunner

    from listdigest.cli import cli

    # Any version's Message-ID, as a lore URL, gives all five KTD2801 postings.
    url = "https://lore.kernel.org/linux-leds/20240118-ktd2801-v2-0-425cf32e0769@skole.hr/T/#u"
    result = CliRunner().invoke(cli, ["series", str(leds), url, "--db", str(leds_db)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Kinetic ExpressWire library and KTD2801 backlight driver (5 postings)"
    assert [line for line in lines if line[:1] == "v"] == [
        "v1  2023-10-05  Kinetic KTD2801 backlight driver",
        "v2  2024-01-18  Kinetic KTD2801 backlight driver",
        "v3  2024-01-20  Kinetic ExpressWire library and KTD2801 backlight driver",
        "v4  2024-01-22  Kinetic ExpressWire library and KTD2801 backlight driver",
        "v5  2024-01-25  Kinetic ExpressWire library and KTD2801 backlight driver"]
    assert ("  applied by Lee Jones <lee@kernel.org>, 2024-02-01: 25ae5f5f4168, e59a15af7aa6,"
            " 4ac621a418ce, 66c76c1cd984") in lines
    data = json.loads(CliRunner().invoke(cli, [
        "series", str(leds), "<20231005-ktd2801-v1-0-43cd85b0629a@skole.hr>",
        "--db", str(leds_db), "--format", "json"]).stdout)
    assert [(v["version"], v["state"]) for v in data["versions"]] == [
        (1, "superseded"), (2, "superseded"), (3, "superseded"), (4, "superseded"),
        (5, "applied")]
    missing = CliRunner().invoke(cli, ["series", str(leds), "nowhere@example.org",
                                       "--db", str(leds_db)])
    assert missing.exit_code == 1
    assert missing.stderr == (
        "listdigest: error: no message <nowhere@example.org> in the archive\n")


def test_tree_commits_mark_patches_applied(tmp_path: Path) -> None:
    import subprocess

    from click.testing import CliRunner

    from listdigest.cli import cli
    from listdigest.demo import build_archive

    inbox = build_archive(tmp_path / "inbox", [
        raw("[PATCH 0/2] widget: speed up", "c0", 3, body=COVER),
        raw("[PATCH 1/2] widget: one", "w1@example.org", 3, reply_to="c0", body=DIFF),
        raw("[PATCH 2/2] widget: two", "w2@example.org", 3, reply_to="c0", body=DIFF),
    ])
    tree = tmp_path / "linux"
    git = ["git", "-C", str(tree), "-c", "user.name=M", "-c", "user.email=m@example.org"]
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m",
                    "widget: one\n\nLink: https://lore.kernel.org/r/w1@example.org\n"],
                   check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    args = ["digest", str(inbox), "--no-history", "--tree", str(tree)]
    data = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    (s,) = data["series"]
    assert s["state"] == "partly applied"
    assert s["applied"] == {"by": "tree", "date": None, "message_id": None, "tree": "linux",
                            "branch": None, "patches": [1], "commits": [commit],
                            "queued": False}
    text = CliRunner().invoke(cli, args).stdout
    assert "widget: speed up (2 patches + cover letter; partly applied (1 of 2) to linux)" in text
    bad = CliRunner().invoke(cli, ["digest", str(inbox), "--tree", str(tmp_path)])
    assert bad.exit_code == 1
    assert bad.stderr.endswith(f"listdigest: error: --tree {tmp_path}: not a git repository\n")
