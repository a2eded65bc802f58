"""Unit tests of the mail rules: subject tags, relay unmunging, header decoding, bodies.

Every expected value is written from the rule (the issue's counting rules, RFC 2047,
RFC 2045 quoted-printable/base64, RFC 3676 format=flowed, git format-patch's layout),
not from what the code prints.
"""

from __future__ import annotations

import base64

import pytest

from listdigest.mail.address import _address, parse_address, real_sender
from listdigest.mail.body import unflow
from listdigest.mail.headers import decode_words, header_fields
from listdigest.mail.message import commit_message, parse_date, parse_message
from listdigest.mail.subject import parse_subject


def mail(body: bytes | str, *, subject: str = "[PATCH] t", sender: str = "Sender <s@x.org>",
         extra: str = "") -> bytes:
    """A minimal raw message; ``extra`` holds further header lines (each ending in \\n)."""
    if isinstance(body, str):
        body = body.encode()
    head = (f"From: {sender}\nSubject: {subject}\nMessage-ID: <m1@x.org>\n"
            f"Date: Mon, 1 Jan 2024 12:00:00 +0000\n{extra}")
    return head.encode() + b"\n" + body


# --- subject tags -------------------------------------------------------------------------

@pytest.mark.parametrize(("subject", "version", "counter", "total", "text"), [
    ("[PATCH v2 3/7] mm: fix it", 2, 3, 7, "mm: fix it"),
    ("[RFC PATCH] mm: fix it", 1, None, None, "mm: fix it"),
    ("[PATCH net-next,v3,1/2] net: fix it", 3, 1, 2, "net: fix it"),
    ("[PATCHv2] x86: fix it", 2, None, None, "x86: fix it"),
    ("[PATCHv4 2/5] x86: fix it", 4, 2, 5, "x86: fix it"),
    ("[RESEND PATCH] arm64: fix it", 1, None, None, "arm64: fix it"),
    ("[PATCH RESEND v4 02/10] arm64: fix it", 4, 2, 10, "arm64: fix it"),
    ("[PATCH V4 00/17] arm64/cpufeature: cover", 4, 0, 17, "arm64/cpufeature: cover"),
    ("[kvm-unit-tests PATCH 1/6] arm64: bench", 1, 1, 6, "arm64: bench"),
    ("[Patch v3 1/2] lower-case patch tag", 3, 1, 2, "lower-case patch tag"),
    ("[PATCH 0 of 2] Sample Mercurial patches", 1, 0, 2, "Sample Mercurial patches"),
    ("[PATCH v2 14/15][KVMTOOL] update headers", 2, 14, 15, "update headers"),
    ("[Buildroot] [PATCH 01/11] package: rename", 1, 1, 11, "package: rename"),
])
def test_patch_subject_tags(subject: str, version: int, counter: int | None,
                            total: int | None, text: str) -> None:
    s = parse_subject(subject)
    assert (s.is_patch, s.is_reply, s.is_pull) == (True, False, False)
    assert (s.version, s.counter, s.total, s.text) == (version, counter, total, text)
    assert s.is_cover == (counter == 0)


def test_subject_tags_split_at_commas_and_spaces() -> None:
    assert parse_subject("[PATCH net-next,v3,1/2] x").tags == ("PATCH", "net-next", "v3", "1/2")
    assert parse_subject("[RFC PATCH v12 01/11] x").tags == ("RFC", "PATCH", "v12", "01/11")
    assert parse_subject("[RFC PATCH v12 01/11] x").prefixes == ("RFC",)


@pytest.mark.parametrize("subject", [
    "Re: [PATCH v2 3/7] mm: fix it",
    "RE: [PATCH v2 3/7] mm: fix it",
    "re:[PATCH] no space",
    "Fwd: [PATCH] forwarded",
    "Fw: [PATCH] forwarded",
    "AW: [PATCH] German reply",
    "Sv: [PATCH] Nordic reply",
    "Re: Re: [PATCH 1/2] twice",
    "[kvmarm] Re: [PATCH] list tag first",
])
def test_replies_are_never_patches(subject: str) -> None:
    s = parse_subject(subject)
    assert s.is_reply
    assert not s.is_patch
    assert not s.is_cover


@pytest.mark.parametrize(("subject", "pull"), [
    ("[GIT PULL] KVM/arm updates for 5.2", True),
    ("[git pull] Please pull powerpc.git next branch", True),
    ("[PULL 0/3] qemu pull", True),
    ("[RFC] Use SMMU HTTU for DMA dirty page tracking", False),
    ("Performance of VM is better than Host", False),
    ("Re: [GIT PULL] KVM/arm updates", False),
])
def test_pull_requests_and_plain_subjects_are_not_patches(subject: str, pull: bool) -> None:
    s = parse_subject(subject)
    assert not s.is_patch
    assert s.is_pull is pull


def test_kind_of_each_subject_form() -> None:
    kinds = {s: parse_message(mail("Body\n", subject=s))[0].kind for s in [
        "[PATCH 0/3] cover", "[PATCH 1/3] one", "[PATCH] single", "Re: [PATCH 1/3] one",
        "[GIT PULL] updates", "question about vgic",
    ]}
    assert kinds == {
        "[PATCH 0/3] cover": "cover", "[PATCH 1/3] one": "patch", "[PATCH] single": "patch",
        "Re: [PATCH 1/3] one": "reply", "[GIT PULL] updates": "pull",
        "question about vgic": "other",
    }


def test_pull_request_without_pull_tag_is_found_by_its_body() -> None:
    # git request-pull's text, under a subject that says only "[GIT]".
    body = ("Hi Linus,\n\nThe following changes since commit 1234567:\n\n  Merge (2018-01-08)\n\n"
            "are available in the Git repository at:\n\n  git://git.kernel.org/x/net \n\n"
            "for you to fetch changes up to 89abcde:\n")
    assert parse_message(mail(body, subject="[GIT] Networking"))[0].kind == "pull"


def test_subject_text_drops_colon_after_tags() -> None:
    # "[Patch 2/2]: powerpc/..." and "[Patch]: Fix ..." are found in real mail.
    assert parse_subject("[Patch 2/2]: powerpc/hotplug/mm: Fix").text == "powerpc/hotplug/mm: Fix"
    assert parse_subject("[Patch]: Fix ld FAILures on mips*.").text == "Fix ld FAILures on mips*."


# --- addresses and relay munging --------------------------------------------------------

def test_mailman_via_uses_x_original_from() -> None:
    fields = {"from": "Jane Doe via kvmarm <kvmarm@lists.cs.columbia.edu>",
              "x-original-from": "Jane Doe <Jane.Doe@Example.org>"}
    assert real_sender(fields) == ("Jane Doe", "jane.doe@example.org")


def test_mailman_via_uses_reply_to() -> None:
    fields = {"from": "\"Jane Doe via kvmarm\" <kvmarm@lists.cs.columbia.edu>",
              "reply-to": "Jane Doe <jane@example.org>"}
    assert real_sender(fields) == ("Jane Doe", "jane@example.org")


def test_google_groups_via_with_quoted_name() -> None:
    fields = {"from": "'Jane Doe' via kasan-dev <kasan-dev@googlegroups.com>",
              "reply-to": "jane@example.org"}
    assert real_sender(fields) == ("Jane Doe", "jane@example.org")


def test_b4_relay_devnull_address() -> None:
    fields = {"from": "Jane Doe via B4 Relay <devnull+jane.example.org@kernel.org>",
              "x-original-from": "Jane Doe <jane@example.org>",
              "reply-to": "jane@example.org"}
    assert real_sender(fields) == ("Jane Doe", "jane@example.org")
    only_reply_to = {"from": fields["from"], "reply-to": "jane@example.org"}
    assert real_sender(only_reply_to) == ("Jane Doe", "jane@example.org")


def test_encoded_via_name_is_decoded_before_unmunging() -> None:
    fields = {"from": "=?utf-8?q?Jan=C3=A9_Doe_via_kvmarm?= <kvmarm@lists.cs.columbia.edu>",
              "x-original-from": "=?utf-8?q?Jan=C3=A9_Doe?= <jane@example.org>"}
    assert real_sender(fields) == ("Jané Doe", "jane@example.org")


def test_unmunged_from_is_kept() -> None:
    assert real_sender({"from": "Oliver Upton <oupton@google.com>",
                        "reply-to": "kvmarm@lists.linux.dev"}) == ("Oliver Upton",
                                                                   "oupton@google.com")


def test_munged_message_counts_under_the_real_author() -> None:
    raw = mail("Body.\n", subject="[PATCH] x",
               sender="Jane Doe via kvmarm <kvmarm@lists.cs.columbia.edu>",
               extra="X-Original-From: Jane Doe <jane@example.org>\n")
    msg, _ = parse_message(raw)
    assert (msg.author_name, msg.author_addr, msg.domain) == ("Jane Doe", "jane@example.org",
                                                              "example.org")


@pytest.mark.parametrize(("value", "expected"), [
    ("Marc Zyngier <Marc.Zyngier@ARM.com>", ("Marc Zyngier", "marc.zyngier@arm.com")),
    ("\"Liu, Yi L\" <yi.l.liu@linux.intel.com>", ("Liu, Yi L", "yi.l.liu@linux.intel.com")),
    ("jane@example.org (Jane Doe)", ("Jane Doe", "jane@example.org")),
    ("<jane@example.org>", ("", "jane@example.org")),
    ("=?iso-8859-1?q?Andr=E9_Przywara?= <andre@arm.com>", ("André Przywara", "andre@arm.com")),
    ("=?utf-8?b?UmFmYcWCIE1pxYJlY2tp?= <zajec5@gmail.com>", ("Rafał Miłecki", "zajec5@gmail.com")),
])
def test_parse_address(value: str, expected: tuple[str, str]) -> None:
    assert parse_address(value) == expected


def test_long_addresses_are_read_but_not_remembered() -> None:
    """Short From values are remembered (senders repeat); a 100 kB one is read the same
    way but not kept, so fuzzed mail cannot fill memory with them."""
    assert parse_address("Marc Zyngier <maz@kernel.org>") == ("Marc Zyngier", "maz@kernel.org")
    assert parse_address("Marc Zyngier <maz@kernel.org>") == ("Marc Zyngier", "maz@kernel.org")
    before = _address.cache_info().currsize
    assert parse_address("x" * 100_000 + " <a@b.org>") == ("x" * 100_000, "a@b.org")
    assert _address.cache_info().currsize == before


# --- header decoding --------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("=?UTF-8?q?Rafa=C5=82_Mi=C5=82ecki?=", "Rafał Miłecki"),
    ("=?utf-8?B?UmFmYcWCIE1pxYJlY2tp?=", "Rafał Miłecki"),
    ("=?UTF-8?q?a?= =?UTF-8?q?b?=", "ab"),  # white space between encoded words is dropped
    ("=?utf-8?q?hello_world?=\n =?utf-8?q?_again?=", "hello world again"),
    ("x =?UTF-8?q?a?= y", "x a y"),  # ... but kept next to plain words
    ("=?iso-8859-1?q?caf=E9?=", "café"),
    ("=?UTF-8?B?w6k?=", "é"),  # base64 without its padding
    ("=?utf-8*en?q?a?=", "a"),  # RFC 2231 language suffix
    ("=?x-unknown-charset?q?caf=C3=A9?=", "café"),  # unknown charset: UTF-8 fallback
    ("=?utf-8?q?Re=3A_=5BPATCH=5D_x?=", "Re: [PATCH] x"),
])
def test_decode_words(value: str, expected: str) -> None:
    assert decode_words(value) == expected


def test_header_fields_unfold_and_take_the_first_occurrence() -> None:
    block = (b"Subject: [PATCH v2 3/7] KVM: arm64: a subject that is folded\n"
             b"  across two lines\nFROM : Jane <jane@example.org>\nMessage-Id:\n"
             b" <id@example.org>\nsubject: a second subject\n")
    fields = header_fields(block)
    assert decode_words(fields["subject"]) == (
        "[PATCH v2 3/7] KVM: arm64: a subject that is folded across two lines")
    assert fields["from"] == "Jane <jane@example.org>"
    assert fields["message-id"] == "<id@example.org>"


def test_raw_8bit_headers_utf8_and_latin1() -> None:
    assert header_fields(b"From: Jos\xc3\xa9 <j@x.org>")["from"] == "José <j@x.org>"
    assert header_fields(b"Subject: caf\xe9 au lait")["subject"] == "café au lait"


def test_crlf_message() -> None:
    raw = (b"From: A <a@b.org>\r\nSubject: [PATCH 1/2]\r\n folded\r\nMessage-ID: <c@r>\r\n\r\n"
           b"Line one\r\n\r\nSigned-off-by: A <a@b.org>\r\n---\r\n f | 1 +\r\n\r\n"
           b"diff --git a/f b/f\r\n")
    msg, body = parse_message(raw)
    assert (msg.subject, msg.message_id) == ("[PATCH 1/2] folded", "c@r")
    assert body.section == "Line one\n\nSigned-off-by: A <a@b.org>\n---\n f | 1 +"


@pytest.mark.parametrize(("value", "expected"), [
    ("Fri, 22 May 2020 16:37:14 +0800", 1590136634),
    ("Fri,  3 May 2019 13:43:32 +0100", 1556887412),
    ("22 May 2020 08:37:14 GMT", 1590136634),
    ("", None),
    ("Wg>", None),
    ("Wed, 4 Jun 2014 10:00:00 +9999", None),  # zone out of range
    ("Wed, 4 Jun 207777777777777777777714 17:50:46 0", None),  # impossible year
    (", 11 Sep 2016 23:22:904070804030804 +0100", None),  # impossible seconds
    (", 11 Sep 2016 23:20407080403080105:04 +0100", None),  # impossible minutes
    # the common form, read without parsedate_tz, and its neighbours that still go to it
    ("Tue, 1 Dec 2026 21:31:34 +0100 (CET)", 1796157094),
    ("Tue, 1 Dec 2026 21:31:34 +0100", 1796157094),
    ("1 Dec 26 21:31 +0100", 1796157060),  # two-digit year, no seconds
    ("Tue, 1 dec 2026 21:31:34 +0100", 1796157094),  # month in lower case
    ("Tue, 2 Jul 2019 01:00:09 -0400", 1562043609),
    ("Tue, 2 Jul 2019 05:00:09 -0000", 1562043609),  # -0000: UTC, zone unknown
    ("Tue, 1 Dec 2026 21:31:34 +1500", None),  # no zone is 15 hours east
    ("Tue, 31 Feb 2026 21:31:34 +0000", 1772573494),  # as timegm counts: 3 March
    ("Tue, 1 Dec 1969 21:31:34 +0000", None),
])
def test_parse_date(value: str, expected: int | None) -> None:
    assert parse_date(value) == expected


def test_bad_date_falls_back_to_commit_time() -> None:
    raw = b"From: A <a@b>\nSubject: x\nDate: , 11 Sep 2016 23:22:904070804030804 +0100\n\nx\n"
    msg, _ = parse_message(raw, commit_time=1_600_000_000)
    assert (msg.date, msg.date_ok) == (1_600_000_000, False)


# --- bodies -----------------------------------------------------------------------------

FORMAT_PATCH = """\
From: Author Name <author@example.org>
Date: Sun, 31 Dec 2023 10:00:00 +0100
Subject: [PATCH] real subject

Commit message first line.

Second paragraph.

Signed-off-by: Author Name <author@example.org>
Signed-off-by: Sender <s@x.org>
---
Notes for reviewers under the cut.

 mm/Kconfig | 3 +--
 1 file changed, 1 insertion(+), 2 deletions(-)

diff --git a/mm/Kconfig b/mm/Kconfig
index 1111111..2222222 100644
--- a/mm/Kconfig
+++ b/mm/Kconfig
@@ -1,3 +1,2 @@
-a
-b
+c
--\x20
2.40.0
"""

SECTION = """\
Commit message first line.

Second paragraph.

Signed-off-by: Author Name <author@example.org>
Signed-off-by: Sender <s@x.org>
---
Notes for reviewers under the cut.

 mm/Kconfig | 3 +--
 1 file changed, 1 insertion(+), 2 deletions(-)"""


def test_inbody_from_is_the_contributor_and_inbody_headers_are_removed() -> None:
    msg, body = parse_message(mail(FORMAT_PATCH))
    assert (msg.from_name, msg.from_addr) == ("Sender", "s@x.org")
    assert (msg.author_name, msg.author_addr) == ("Author Name", "author@example.org")
    assert body.inbody["from"] == "Author Name <author@example.org>"
    assert body.inbody["subject"] == "[PATCH] real subject"
    assert body.section == SECTION
    assert body.has_diff
    assert msg.diffstat == (1, 1, 2)
    assert msg.trailers == (("Signed-off-by", "Author Name <author@example.org>"),
                            ("Signed-off-by", "Sender <s@x.org>"))


def test_inbody_from_of_a_reply_is_not_an_author() -> None:
    msg, _ = parse_message(mail(FORMAT_PATCH, subject="Re: [PATCH] x"))
    assert (msg.kind, msg.author_addr) == ("reply", "s@x.org")


def test_commit_message_rereads_the_same_section() -> None:
    assert commit_message(mail(FORMAT_PATCH)).section == SECTION


@pytest.mark.parametrize(("body", "section"), [
    ("Msg.\n\nIndex: foo/bar.c\n=====\n--- foo/bar.c\t(revision 1)\n+++ foo/bar.c\n", "Msg."),
    ("Msg.\n---\n f | 1 +\n\n--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n", "Msg.\n---\n f | 1 +"),
    ("Msg.\n--- old.c\n+++ new.c\n@@ -1 +1 @@\n", "Msg."),
    ("Msg.\n\ndiff --git a/f b/f\nnew file mode 100644\n", "Msg."),
    ("Quoted diff stays:\n> diff --git a/x b/x\nend\n",
     "Quoted diff stays:\n> diff --git a/x b/x\nend"),
    ("A --- B is prose\n---\nnotes\n", "A --- B is prose\n---\nnotes"),
    ("Hello\n\nthanks\n-- \nJohn\nsig line\n", "Hello\n\nthanks"),
    ("Body\n\n\n\n", "Body"),
])
def test_section_stops_at_the_diff_and_the_signature(body: str, section: str) -> None:
    assert parse_message(mail(body))[1].section == section


def test_quoted_printable_body() -> None:
    raw = mail(b"Caf=C3=A9 soft=\nbreak\n\nSigned-off-by: A =3D B <a@b.org>\n",
               extra="Content-Type: text/plain; charset=utf-8\n"
                     "Content-Transfer-Encoding: quoted-printable\n")
    msg, body = parse_message(raw)
    assert body.section == "Café softbreak\n\nSigned-off-by: A = B <a@b.org>"
    assert msg.trailers == (("Signed-off-by", "A = B <a@b.org>"),)


def test_base64_body_with_inbody_from() -> None:
    text = ("From: J\u00f6rg M\u00fcller <joerg@example.de>\n\nGr\u00fc\u00dfe.\n\n"
            "Signed-off-by: J\u00f6rg M\u00fcller <joerg@example.de>\n---\n"
            " f | 1 +\n 1 file changed, 1 insertion(+)\n\ndiff --git a/f b/f\n")
    raw = mail(base64.encodebytes(text.encode("utf-8")),
               extra="Content-Type: text/plain; charset=utf-8\n"
                     "Content-Transfer-Encoding: base64\n")
    msg, body = parse_message(raw)
    assert (msg.author_name, msg.author_addr) == ("Jörg Müller", "joerg@example.de")
    assert body.section == ("Grüße.\n\nSigned-off-by: Jörg Müller <joerg@example.de>\n---\n"
                            " f | 1 +\n 1 file changed, 1 insertion(+)")
    assert msg.diffstat == (1, 1, 0)


def test_latin1_body_and_unknown_charset_fall_back() -> None:
    latin = mail(b"Caf\xe9\n", extra="Content-Type: text/plain; charset=iso-8859-1\n")
    assert parse_message(latin)[1].section == "Café"
    unknown = mail(b"Caf\xc3\xa9\n", extra="Content-Type: text/plain; charset=\"none\"\n")
    assert parse_message(unknown)[1].section == "Café"


def test_format_flowed() -> None:
    flowed = mail(b"This is a long \nline that flows.\n\nNext \n paragraph.\n-- \nsig\n",
                  extra="Content-Type: text/plain; charset=us-ascii; format=flowed\n")
    assert parse_message(flowed)[1].section == "This is a long line that flows.\n\nNext paragraph."
    delsp = mail(b"Word\xc3\xa9 \nsplit.\n",
                 extra="Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n")
    assert parse_message(delsp)[1].section == "Wordésplit."


@pytest.mark.parametrize(("text", "delsp", "joined"), [
    # A line that is only "-- " (a signature's start) keeps its break, even stuffed;
    # a line merely ending in "-- " runs on.
    ("Bye \n-- \nMe \nToo", False, "Bye -- \nMe Too"),
    (" -- \nsig", False, "-- \nsig"),
    ("x-- \nsig", False, "x-- sig"),
    # One stuffing space and one CR go from each line, no more.
    ("  two\r\r\n one\r", False, " two\r\none"),
    # delsp drops the space of every soft break, the last line's too.
    ("a \nb \nc ", True, "abc"),
    ("a \nb \nc ", False, "a b c "),
    # A last run of lines that were each a lone space leaves nothing, not even a break.
    ("a\n  \n  ", True, "a"),
    ("a\n  \n  ", False, "a\n  "),
])
def test_unflow_line_rules(text: str, delsp: bool, joined: str) -> None:
    assert unflow(text, delsp) == joined


def test_format_flowed_text_part_of_multipart_mail() -> None:
    raw = (b"From: S <s@x.org>\nSubject: [Patch]: x\n"
           b"Content-Type: multipart/mixed; boundary=BB\n\n"
           b"--BB\nContent-Type: text/plain; charset=ISO-8859-1; format=flowed\n\n"
           b"Caf\xe9 is a long \nline that flows.\n\n"
           b"--BB\nContent-Type: text/plain; name=a.patch\n\nIndex: f.c\n===\n--BB--\n")
    _, body = parse_message(raw)
    assert body.section == "Café is a long line that flows."
    assert body.has_diff


def test_multipart_text_and_patch_parts_html_ignored() -> None:
    patch = base64.encodebytes(b"---\n f | 1 +\n 1 file changed, 1 insertion(+)\n\n"
                               b"diff --git a/f b/f\n")
    raw = (b"From: S <s@x.org>\nSubject: [PATCH] m\n"
           b"Content-Type: multipart/mixed; boundary=\"BB\"\n\npreamble\n"
           b"--BB\nContent-Type: text/plain; charset=utf-8\n\nMessage text\n"
           b"--BB\nContent-Type: text/x-patch; name=a.patch\nContent-Transfer-Encoding: base64\n\n"
           + patch + b"--BB\nContent-Type: text/html\n\n<p>html</p>\n--BB--\n")
    msg, body = parse_message(raw)
    assert body.section == "Message text\n\n---\n f | 1 +\n 1 file changed, 1 insertion(+)"
    assert body.has_diff
    assert msg.diffstat == (1, 1, 0)


def test_multipart_alternative_takes_the_plain_part() -> None:
    raw = (b"From: S <s@x.org>\nSubject: Re: x\nContent-Type: multipart/alternative; boundary=BB\n"
           b"\n--BB\nContent-Type: text/html\n\n<p>html</p>\n--BB\nContent-Type: text/plain\n\n"
           b"plain text\n--BB--\n")
    assert parse_message(raw)[1].section == "plain text"


def test_html_only_message_has_no_text() -> None:
    raw = mail("<p>hi</p>\n", extra="Content-Type: text/html\n")
    assert parse_message(raw)[1].section == ""


def test_multipart_parts_are_each_decoded_in_their_own_charset() -> None:
    raw = (b"From: S <s@x.org>\nSubject: [PATCH] m\n"
           b"Content-Type: multipart/mixed; boundary=BB\n\n"
           b"--BB\nContent-Type: text/plain; charset=iso-8859-1\n\nJ\xf6rg wrote this\n"
           b"--BB\nContent-Type: text/x-patch; charset=utf-8\n\nReviewed-by: Zo\xc3\xab <z@x.org>\n"
           b"--BB--\n")
    msg, body = parse_message(raw)
    assert body.section == "Jörg wrote this\n\nReviewed-by: Zoë <z@x.org>"
    assert msg.trailers == (("Reviewed-by", "Zoë <z@x.org>"),)


@pytest.mark.parametrize(("subject", "version", "is_patch"), [
    ("[stable:PATCH 4.19] KVM: fix", 1, True),
    ("[RFCv2 PATCH 1/3] x", 2, True),
    ("[PATCH RFC-v3] x", 3, True),
])
def test_colon_joined_tags_and_rfc_versions(subject: str, version: int, is_patch: bool) -> None:
    s = parse_subject(subject)
    assert (s.version, s.is_patch) == (version, is_patch)


def test_junk_message_id_is_no_id() -> None:
    raw = b"From: S <s@x.org>\nSubject: hi\nMessage-ID:>\n\ntext\n"
    assert parse_message(raw)[0].message_id == ""


def test_via_in_a_real_name_without_original_sender_is_kept() -> None:
    fields = {"from": "Anna via Bologna <anna@example.org>"}
    assert real_sender(fields) == ("Anna via Bologna", "anna@example.org")
