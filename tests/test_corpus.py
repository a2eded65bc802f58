"""The Patchwork mail corpus (../shared/corpus/patchwork): every file parses, and the
facts its READMEs, file names and contents state hold.

Expected values were read from the files themselves (headers, in-body From lines,
bodies) and from the corpus' description of each series thread; none were copied
from listdigest's output.
"""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from listdigest.mail.body import Body
from listdigest.mail.message import Message, commit_message, parse_message
from listdigest.mail.subject import parse_subject
from listdigest.model.series import Series, group_series

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "patchwork"
ALL_FILES = sorted(p for d in ("mail", "series", "fuzz") for p in (CORPUS / d).iterdir())


@cache
def raw_messages(path: Path) -> tuple[bytes, ...]:
    """The raw bytes of each message of a file: an mbox is split at its "From " lines,
    any other file is one message."""
    data = path.read_bytes()
    if not data.startswith(b"From "):
        return (data,)
    box = mailbox.mbox(path, create=False)
    try:
        return tuple(box.get_bytes(key) for key in box.iterkeys())
    finally:
        box.close()


@cache
def parsed(path: Path) -> tuple[tuple[Message, Body], ...]:
    return tuple(parse_message(raw) for raw in raw_messages(path))


def one(name: str) -> tuple[Message, Body]:
    (result,) = parsed(CORPUS / name)
    return result


def messages(name: str) -> list[Message]:
    return [m for m, _ in parsed(CORPUS / "series" / name)]


def test_corpus_is_there() -> None:
    names = {p.name for p in ALL_FILES}
    assert len(ALL_FILES) == 26 + 33 + 17
    assert {"0001-git-pull-request.mbox", "revision-unlabeled.mbox", "x-face.mbox"} <= names


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_file_parses(path: Path) -> None:
    raws = raw_messages(path)
    assert raws
    for raw in raws:
        msg, body = parse_message(raw)
        # Everything a digest reads of a message, forced (the body is read lazily).
        assert isinstance(body.section, str)
        assert isinstance(body.inbody, dict)
        assert body.diffstat is None or len(body.diffstat) == 3
        assert isinstance(body.trailers, tuple)
        assert commit_message(raw).section == body.section
        assert msg.kind in ("patch", "cover", "reply", "pull", "other")
        assert msg.tags.full == msg.subject
        # The JSON digest prints every date: it must be a real one.
        assert datetime.fromtimestamp(msg.date, UTC).year in range(1970, 10000)


def test_mbox_files_hold_the_messages_their_from_lines_say() -> None:
    counts = {p.name: len(raw_messages(p)) for p in ALL_FILES}
    assert counts["revision-basic.mbox"] == 6
    assert counts["bugs-spamming.mbox"] == 3
    assert counts["base-different-versions.mbox"] == 5
    assert counts["name-len.mbox"] == 2
    assert counts["0007-cvs-format-diff.mbox"] == 1  # no "From " line: one message


# --- mail/ ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "0001-git-pull-request.mbox", "0002-git-pull-request-wrapped.mbox",
    "0003-git-pull-request-with-diff.mbox", "0004-git-pull-request-git+ssh.mbox",
    "0005-git-pull-request-ssh.mbox", "0006-git-pull-request-http.mbox",
])
def test_benh_pull_requests(name: str) -> None:
    msg, body = one(f"mail/{name}")
    assert msg.subject == "[git pull] Please pull powerpc.git next branch"
    assert msg.kind == "pull"
    assert not msg.is_patch_email
    assert (msg.author_name, msg.author_addr) == ("Benjamin Herrenschmidt",
                                                  "benh@kernel.crashing.org")
    assert msg.message_id == "1287719462.2198.37.camel@pasglop"
    assert body.has_diff is (name == "0003-git-pull-request-with-diff.mbox")


@pytest.mark.parametrize(("name", "subject", "author"), [
    ("0017-git-pull-request-git-2-14-3.mbox", "[GIT] Networking",
     ("David Miller", "davem@davemloft.net")),
    ("0023-git-pull-request-newline-in-url.mbox", "[GIT PULL] soc: updates for v5.5",
     ("Matthias Brugger", "matthias.bgg@gmail.com")),
    ("0024-git-pull-request-trailing-space.mbox", "[GIT PULL] DaVinci SoC updates for v5.6",
     ("XXX XXX", "xxx@example.com")),
])
def test_other_pull_requests(name: str, subject: str, author: tuple[str, str]) -> None:
    msg, _ = one(f"mail/{name}")
    assert (msg.subject, msg.kind, (msg.author_name, msg.author_addr)) == (subject, "pull",
                                                                          author)


def test_cvs_diff_in_multipart_flowed_mail() -> None:
    msg, body = one("mail/0007-cvs-format-diff.mbox")
    assert msg.subject == "[Patch]: Fix ld pr11138 FAILures on mips*."
    assert msg.tags.text == "Fix ld pr11138 FAILures on mips*."
    assert (msg.kind, msg.author_name, msg.author_addr) == ("patch", "David Daney",
                                                            "david.daney@cavium.com")
    assert body.has_diff  # the dd-2.patch attachment starts with "Index: bfd/elf-bfd.h"
    lines = body.section.splitlines()
    # format=flowed: the soft line breaks of the text part are joined.
    assert lines[0] == ("The pr11138 testcase links an executable with a version script.  On "
                        "mips64-linux the presence of a version script was causing the "
                        "MIPS_RLD_MAP dynamic tag to be populated with a NULL value.  When such "
                        "an executable was run ld.so would try to dereference this and receive "
                        "SIGSEGV, thus killing the process.")
    assert lines[-1] == "\tno_sym_version for \"__RLD_MAP\"."
    assert "Index:" not in body.section


@pytest.mark.parametrize("name", ["0008-git-rename.mbox", "0009-git-rename-with-diff.mbox"])
def test_git_rename(name: str) -> None:
    msg, body = one(f"mail/{name}")
    assert msg.subject == "[Buildroot] [PATCH 01/11] package/rpi-userland: rename patches"
    t = msg.tags
    assert (t.counter, t.total, t.version, t.prefixes) == (1, 11, 1, ("Buildroot",))
    assert (msg.author_name, msg.author_addr) == ("Yann E. MORIN", "yann.morin.1998@free.fr")
    assert msg.diffstat == (2, 0, 0)
    assert body.has_diff


def test_invalid_charset_quoted_printable() -> None:
    msg, body = one("mail/0010-invalid-charset.mbox")
    assert msg.subject == "Fix pow overflow in non-default rounding modes (bug 16315)"
    assert msg.kind == "other"  # no PATCH tag
    assert (msg.author_name, msg.author_addr) == ("Joseph S. Myers", "joseph@codesourcery.com")
    lines = body.section.splitlines()
    assert lines[0] == "This patch, relative to a tree with"
    assert "\t[BZ #16315]" in lines  # "=09" decoded although the charset is "none"
    assert lines[-1] == "\t* sysdeps/x86_64/fpu/libm-test-ulps: Likewise."
    assert body.has_diff


def test_no_newline_at_end_of_file() -> None:
    msg, body = one("mail/0011-no-newline-at-end-of-file.mbox")
    assert msg.subject == "[PATCH v3 5/5] selftests, powerpc: Add test for VPHN"
    assert (msg.tags.version, msg.tags.counter, msg.tags.total) == (3, 5, 5)
    assert (msg.author_name, msg.author_addr) == ("Greg Kurz", "gkurz@linux.vnet.ibm.com")
    assert body.has_diff


def test_invalid_header_char() -> None:
    msg, body = one("mail/0012-invalid-header-char.mbox")
    assert msg.subject == "[dpdk-dev] [PATCH] kni: fix compilation error when debug enabled"
    assert (msg.kind, msg.tags.prefixes) == ("patch", ("dpdk-dev",))
    assert (msg.author_name, msg.author_addr) == ("Ferruh Yigit", "ferruh.yigit@intel.com")
    assert body.section == (
        "Fix build error with Linux kernel >= v4.7\n\n"
        "Fix compile error because of Linux API change, 'trans_start' field\n"
        "removed from 'struct net_device'.\n\n"
        "Linux: 9b36627acecd (\"net: remove dev->trans_start\")\n\n"
        "Signed-off-by: Ferruh Yigit <ferruh.yigit@intel.com>\n---\n"
        " lib/librte_eal/linuxapp/kni/kni_net.c | 2 +-\n"
        " 1 file changed, 1 insertion(+), 1 deletion(-)")
    assert msg.diffstat == (1, 1, 1)


@pytest.mark.parametrize(("name", "subject"), [
    ("0013-with-utf8-body.mbox", "MAINTAINERS: Update entry for BCM5301X ARM"),
    ("0014-with-unencoded-utf8-headers.mbox",
     "MAINTAINERS: Update entry for BCM5301X ARM to include Rafał Miłecki"),
    ("0015-with-invalid-utf8-headers.mbox", "MAINTAINERS: Update entry for BCM5301X ARM"),
])
def test_utf8_encoded_raw_and_invalid_headers(name: str, subject: str) -> None:
    msg, body = one(f"mail/{name}")
    assert msg.subject == subject
    # From is an encoded word in 0013 and 0015, raw UTF-8 in 0014.
    assert (msg.author_name, msg.author_addr) == ("Rafał Miłecki", "zajec5@gmail.com")
    assert msg.kind == "other"  # no PATCH tag
    assert body.section.splitlines()[-3:] == [
        "---", " MAINTAINERS | 4 +++-", " 1 file changed, 3 insertions(+), 1 deletion(-)"]
    assert ("Signed-off-by", "Rafał Miłecki <zajec5@gmail.com>") in msg.trailers


def test_no_subject() -> None:
    msg, _ = one("mail/0016-no-subject.mbox")
    assert (msg.subject, msg.kind, msg.message_id) == ("", "other", "ABC@DEF")
    assert msg.author_addr == "yann.morin.1998@free.fr"


def test_multipart_patch_ignores_html() -> None:
    msg, body = one("mail/0019-multipart-patch.mbox")
    assert msg.subject == "[PATCH] parsemail: ignore html part of multi-part comments"
    assert (msg.kind, msg.author_addr) == ("patch", "yuri.volchkov@gmail.com")
    lines = body.section.splitlines()
    assert lines[0] == "Currently an html-protection present only for patch-emails. If a"
    assert lines[-4:] == ["Signed-off-by: Yuri Volchkov <yuri.volchkov@gmail.com>", "---",
                          " patchwork/parser.py | 4 +++-",
                          " 1 file changed, 3 insertions(+), 1 deletion(-)"]
    assert "<div" not in body.section
    assert body.has_diff
    assert msg.diffstat == (1, 3, 1)


def test_multipart_comment_is_a_reply_without_html() -> None:
    msg, body = one("mail/0020-multipart-comment.mbox")
    assert msg.kind == "reply"
    assert msg.in_reply_to == "20180620122142.9917-1-yuri.volchkov@gmail.com"
    assert body.section == ("Yup, this looks sensible to me. Replying from Outlook's awful HTML "
                            "editor to get\na sample comment to test with.\n\nStephen")


@pytest.mark.parametrize(("name", "subject", "diffstat"), [
    ("0021-git-empty-new-file.mbox", "[snowpatch] [PATCH 1/3] Test commit; please ignore",
     (1, 0, 0)),
    ("0022-git-mode-change.mbox", "[PATCH 1/1] kconfig: Make nconf-cfg.sh executable", (1, 0, 0)),
    ("0025-git-add-binary-file.mbox", "[PATCH] Add a single pixel bitmap image", (1, 0, 0)),
    ("0026-git-add-mixed-binary-text-files.mbox",
     "[PATCH] Add a single pixel bitmap image, minimal script", (2, 3, 0)),
    ("0027-git-modify-binary-file.mbox", "[PATCH] Make changes to an existing binary file",
     (1, 0, 0)),
])
def test_empty_mode_and_binary_diffs(name: str, subject: str,
                                     diffstat: tuple[int, int, int]) -> None:
    msg, body = one(f"mail/{name}")
    assert (msg.subject, msg.kind, msg.diffstat) == (subject, "patch", diffstat)
    assert body.has_diff


# --- fuzz/ ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["date.mbox", "date-too-long.mbox", "dateheader.mbox",
                                  "date-oserror.mbox", "year-out-of-range.mbox"])
def test_impossible_dates_fall_back(name: str) -> None:
    first, _ = parsed(CORPUS / "fuzz" / name)[0]
    assert first.date_ok is False
    assert first.date == 0  # the commit time given to parse_message (none here)


def test_x_face_message() -> None:
    msg, _ = one("fuzz/x-face.mbox")
    assert msg.subject == "uvcvideo (webcam) support for COMPAL JHL90 based laptops"
    assert (msg.author_name, msg.author_addr) == ("Laurent Pinchart",
                                                  "laurent.pinchart@skynet.be")
    assert msg.message_id == "200811131654.22389.laurent.pinchart@skynet.be"
    assert datetime.fromtimestamp(msg.date, UTC) == datetime(2008, 11, 13, 15, 54, 22,
                                                             tzinfo=UTC)


def test_nul_charset_falls_back() -> None:
    first, body = parsed(CORPUS / "fuzz" / "codec-null.mbox")[0]
    assert first.subject == "[net,v2,1/2] net: ieee802154: remove explicit set skb->sk"
    assert (first.author_name, first.author_addr) == ("Lin Zhang", "xiaolou4617@gmail.com")
    assert body.has_diff


# --- series/ ----------------------------------------------------------------------------

SF_SENDER = "stephenfinucane@gmail.com"
SF_AUTHOR = ("Stephen Finucane", "stephenfinucane@hotmail.com")


def test_inbody_from_differs_from_the_sender() -> None:
    for msg in messages("base-cover-letter.mbox"):
        assert msg.from_addr == SF_SENDER
        assert (msg.author_name, msg.author_addr) == SF_AUTHOR
    spam = messages("bugs-spamming.mbox")
    assert [(m.from_name, m.from_addr) for m in spam] == [("", "vkabatov@redhat.com")] * 3
    assert {(m.author_name, m.author_addr) for m in spam} == {("Veronika Kabatova",
                                                               "vkabatov@redhat.com")}


def test_notes_under_the_cut_are_kept() -> None:
    _, body = parsed(CORPUS / "series" / "bugs-spamming.mbox")[0]
    lines = body.section.splitlines()
    assert lines[0] == "Solve #113 and #57 GitHub issues, keep track of tag origin to be able"
    assert "Rebased on top of 'Convert Series-Patch relationship to 1:N' series." in lines
    assert lines[-4:] == [
        " .../tagging-rework-9907e9dc3f835566.yaml      |  15 ++",
        " 8 files changed, 202 insertions(+), 157 deletions(-)",
        " create mode 100644 patchwork/migrations/0034_rework_tagging.py",
        " create mode 100644 releasenotes/notes/tagging-rework-9907e9dc3f835566.yaml"]
    assert lines.count("---") == 2  # the notes sit between two "---" lines


def test_folded_message_id_and_repeated_reference_headers() -> None:
    msgs = messages("bugs-multiple-references.mbox")
    cover = "cover.1495511998.git.viresh.kumar@linaro.org"
    first = "b9f67b2be37d5e9740a5e1ed85b0e8b4e5c0eb91.1495511998.git.viresh.kumar@linaro.org"
    assert msgs[0].message_id == cover
    assert msgs[1].message_id == first
    assert (msgs[1].in_reply_to, msgs[1].references) == (cover, (cover,))
    # 2/4 carries In-Reply-To and References twice; the first of each is read.
    assert (msgs[2].in_reply_to, msgs[2].references) == (first, (first,))
    assert msgs[2].subject == ("[PATCH V2 2/4] PM / OPP: Don't create copy of regulators"
                               " unnecessarily")
    assert msgs[2].tags.version == 2


def test_mercurial_n_of_m_subjects() -> None:
    tags = [m.tags for m in messages("mercurial-cover-letter.mbox")]
    assert [(t.counter, t.total) for t in tags] == [(0, 2), (1, 2), (2, 2)]
    assert [m.kind for m in messages("mercurial-cover-letter.mbox")] == ["cover", "patch", "patch"]
    assert tags[2].text == ("tests: work around FreeBSD's unzip having slightly different output")


def test_numbered_subject_with_a_diff_is_a_patch_email_without_patch_tag() -> None:
    # As b4 takes them: "[net v2 1/2]" holds a number and a version, the body a diff.
    for name in ("base-no-references.mbox", "revision-unlabeled-noreferences.mbox"):
        msgs = messages(name)
        assert {m.kind for m in msgs} == {"patch"}
        assert all(m.has_diff for m in msgs)
    # Without any bracket tag a diff alone does not make a patch email.
    orphan = messages("bugs-unnumbered.mbox")[2]
    assert (orphan.subject, orphan.kind, orphan.has_diff) == (
        "This is an orphaned patch!", "other", True)


def shape(s: Series) -> tuple[str | None, list[str], list[int]]:
    """(cover letter id, patch ids by number, missing numbers) of a series."""
    return (s.cover.message_id if s.cover else None,
            [s.patches[n].message_id for n in sorted(s.patches)], s.missing)


def sf(n: str) -> str:
    return f"{n}-git-send-email-stephenfinucane@gmail.com"


V1 = (sf("1473632524-8585-1"), [sf("1473632524-8585-2"), sf("1473632524-8585-3")], [])


@pytest.mark.parametrize(("name", "expected"), [
    ("base-single-patch.mbox", [(None, [sf("1473632524-8585-2")], [])]),
    ("base-cover-letter.mbox", [V1]),
    ("base-deep-threaded.mbox", [V1]),
    ("base-out-of-order.mbox", [V1]),  # 2/2, 1/2, then the cover letter
    ("base-no-cover-letter.mbox",
     [(None, [sf("1473633236-10676-1"), sf("1473633236-10676-2")], [])]),
    ("base-incomplete.mbox", [(sf("1473632524-8585-1"), [sf("1473632524-8585-2")], [2])]),
    ("base-extra-patches.mbox",
     [(sf("1473632524-8585-1"),
       [sf("1473632524-8585-2"), sf("1473632524-8585-3"), sf("1473632524-8585-4")], [])]),
    ("bugs-unnumbered.mbox", [(sf("1473632524-8585-1"), [sf("1473632524-8585-2")], [2])]),
    ("bugs-mixed-versions.mbox", [(None, [sf("1473632524-8585-2")], [2]),
                                  (None, [sf("1473633055-10316-3")], [1])]),
    ("bugs-nocover.mbox", [(None, [sf("1473632524-8585-2"), sf("1473632524-8585-3")], []),
                           (None, [sf("1473633055-10316-2"), sf("1473633055-10316-3")], [])]),
    ("bugs-nocover-noversion.mbox",
     [(None, [sf("1473632524-8585-2"), sf("1473632524-8585-3")], []),
      (None, [sf("1473633055-10316-2"), sf("1473633055-10316-3")], [])]),
    ("revision-basic.mbox",
     [V1, (sf("1473632795-9971-1"), [sf("1473632795-9971-2"), sf("1473632795-9971-3")], [])]),
    ("revision-no-cover-letter.mbox",
     [V1, (None, [sf("1473633236-10676-1"), sf("1473633236-10676-2")], [])]),
    ("revision-threaded-to-cover.mbox",
     [V1, (sf("1473633055-10316-1"), [sf("1473633055-10316-2"), sf("1473633055-10316-3")], [])]),
    ("revision-threaded-to-patch.mbox",
     [V1, (sf("1473633142-10432-1"), [sf("1473633142-10432-2"), sf("1473633142-10432-3")], [])]),
    ("revision-out-of-order.mbox",
     [V1, (sf("1473633142-10432-1"), [sf("1473633142-10432-2"), sf("1473633142-10432-3")], [])]),
    ("revision-unlabeled.mbox",
     [V1, (sf("1473633201-10585-1"), [sf("1473633201-10585-2"), sf("1473633201-10585-3")], [])]),
    ("revision-threaded-to-single-patch.mbox",
     [(None, [sf("1473632524-8585-2")], []), (None, [sf("1473633055-10316-2")], [])]),
    ("bugs-spamming.mbox", [(None, ["20180917170156.23280-1-vkabatov@redhat.com"], [2, 3, 4]),
                            (None, ["20180917170335.23838-1-vkabatov@redhat.com"], [2, 3, 4]),
                            (None, ["20180917165927.22598-1-vkabatov@redhat.com"], [2, 3, 4])]),
    ("mercurial-cover-letter.mbox",
     [("patchbomb.1485159385@nuevo",
       ["2fb3ae89e4e1992e9382.1485159386@nuevo", "b3d2e8cce78c04dbf6f2.1485159387@nuevo"], [])]),
    ("mercurial-no-cover-letter.mbox",
     [(None, ["2fb3ae89e4e1992e9382.1485159499@nuevo",
              "b3d2e8cce78c04dbf6f2.1485159500@nuevo"], [])]),
    ("base-no-references-no-cover.mbox",
     [("790af26b-7055-7997-2080-f967aef2d26d@linux.vnet.ibm.com",
       ["4a1bec9a-d3d2-c0bd-3956-e6e402be334c@linux.vnet.ibm.com",
        "3bb44d92-b2ff-e197-4bdf-ec6d588d6dab@linux.vnet.ibm.com"], [])]),
    ("bugs-multiple-references.mbox",
     [("cover.1495511998.git.viresh.kumar@linaro.org",
       [f"{h}.1495511998.git.viresh.kumar@linaro.org" for h in (
           "b9f67b2be37d5e9740a5e1ed85b0e8b4e5c0eb91", "ed9beaec36649c862369a34ea209822c00d86f52",
           "dcb9872771568fec4c7d8d11ba4939cd8da279c0", "0381fc50b84535fcb7964eaa345d2501c5c903b3")],
       [])]),
    ("base-different-versions.mbox",  # a v3 cover letter over patches without a version
     [("20170613191725.26625-1-f.fainelli@gmail.com",
       [f"20170613191725.26625-{n}-f.fainelli@gmail.com" for n in (2, 3, 4, 5)], [])]),
    ("bugs-multiple-content-types.mbox", [(None, ["20190820013652.147041-1-yuehaibing@huawei.com"],
                                           [])]),
    ("dependency-base-patch.mbox",
     [("20240610210912.161735-1-ahassick@iol.unh.edu",
       ["20240610210912.161735-3-ahassick@iol.unh.edu",
        "20240610210912.161735-5-ahassick@iol.unh.edu"], [])]),
])
def test_series_membership(name: str, expected: list[tuple[str | None, list[str], list[int]]]
                           ) -> None:
    assert [shape(s) for s in group_series(messages(name))] == expected


def test_series_titles_and_versions() -> None:
    (hg,) = group_series(messages("mercurial-cover-letter.mbox"))
    assert hg.title == "Sample Mercurial patches"
    v1, v2 = group_series(messages("revision-threaded-to-cover.mbox"))
    assert (v1.version, v1.total, v2.version, v2.total) == (1, 2, 2, 2)
    assert v2.title == "A sample series"
    (nocover,) = group_series(messages("base-no-references-no-cover.mbox"))
    assert nocover.title == "powerpc/dlpar: Correct display of hot-add/hot-remove CPUs and memory"
    assert nocover.patches[2].tags.text == (
        "powerpc/hotplug/mm: Fix hot-add memory node assoc")


@pytest.mark.parametrize(("name", "expected"), [
    # Unthreaded "[net v2 N/2]" patches of one sender join the newest unthreaded series
    # lacking their number; a number seen again starts the next posting.
    ("base-no-references.mbox",
     [["1495516865-17019-1-git-send-email-xiaolou4617@gmail.com",
       "1495517379-18456-1-git-send-email-xiaolou4617@gmail.com"]]),
    ("revision-unlabeled-noreferences.mbox",
     [["1495516865-17019-1-git-send-email-xiaolou4617@gmail.com",
       "1495517379-18456-1-git-send-email-xiaolou4617@gmail.com"],
      ["1495516865-17091-1-git-send-email-xiaolou4617@gmail.com",
       "1495517379-18465-1-git-send-email-xiaolou4617@gmail.com"]]),
])
def test_unthreaded_series_without_references(name: str, expected: list[list[str]]) -> None:
    msgs = messages(name)
    assert parse_subject(msgs[0].subject).tags == ("net", "v2", "1/2")
    series = group_series(msgs)
    assert [[s.patches[n].message_id for n in sorted(s.patches)] for s in series] == expected
    assert [s.version for s in series] == [2] * len(expected)
