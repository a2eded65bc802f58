"""The applied/queued detector on the phrasings maintainers and bots use, and on the
discussion that only looks like them."""

from __future__ import annotations

import pytest

from listdigest.mail.applied import APPLIED_HINT, AppliedNote, asks_for_new_version, find_applied

B4_TY = """On Mon, 02 Jun 2025 10:00:00 +0100, A Developer wrote:
> This adds a driver.
> [...]

Applied, thanks!

[1/3] leds: add a driver
      commit: 0123456789abcdef0123456789abcdef01234567
[3/3] leds: document it
      commit: 89abcdef0123456789abcdef0123456789abcdef

--
Lee Jones
"""

PATCHWORK_BOT = """Hello:

This series was applied to netdev/net-next.git (main)
by Jakub Kicinski <kuba@kernel.org>:

On Tue,  2 Jun 2026 18:28:29 -0700 you wrote:
> This is prep for the series.

Here is the summary with links:
  - [net-next,v2,1/3] net: one
    https://git.kernel.org/netdev/net-next/c/251bc9db88fb
  - [net-next,v2,2/3] net: two
    (no matching commit)
  - [net-next,v2,3/3] net: three
    https://git.kernel.org/netdev/net-next/c/b8dfa196cb97

You are awesome, thank you!
"""


@pytest.mark.parametrize(("body", "expected"), [
    (PATCHWORK_BOT, AppliedNote("netdev/net-next.git", "main", (1, 3),
                                ("251bc9db88fb", "b8dfa196cb97"), False)),
    ("Hello:\n\nThis patch was applied to bluetooth/bluetooth-next.git (master)\nby L:\n",
     AppliedNote("bluetooth/bluetooth-next.git", "master", None, (), False)),
    ("> x\n\nApplied to kvm-x86 next, thanks!\n", AppliedNote("kvm-x86", "next", None, (), False)),
    ("Series applied to ipsec-next, thanks.", AppliedNote("ipsec-next", None, None, (), False)),
    ("Queued for 6.18, thanks.", AppliedNote(None, None, None, (), True)),
    ("Applied patches 3-12, thanks.", AppliedNote(None, None, tuple(range(3, 13)), (), False)),
    ("Applied the first 9, the rest needs work.",
     AppliedNote(None, None, tuple(range(1, 10)), (), False)),
    ("Applied 1-3, thanks", AppliedNote(None, None, (1, 2, 3), (), False)),
    (B4_TY, AppliedNote(None, None, (1, 3), ("0123456789abcdef0123456789abcdef01234567",
                                            "89abcdef0123456789abcdef0123456789abcdef"), False)),
    ("Applied to for-next.\n", AppliedNote(None, "for-next", None, (), False)),
    ("Applied to the for-5.4 branch of linux-leds.git.\n",
     AppliedNote("linux-leds.git", "for-5.4", None, (), False)),
    ("Applied to arm64 (for-next/misc), thanks!", AppliedNote("arm64", "for-next/misc", None, (),
                                                             False)),
    ("Hi Lee,\nThanks, I've applied this to my for-next branch.",
     AppliedNote(None, "for-next", None, (), False)),
    ("Thanks, patches 3 and 4 of this series applied to my kvm-ppc-next branch.",
     AppliedNote(None, "kvm-ppc-next", (3, 4), (), False)),
])
def test_applied_phrasings(body: str, expected: AppliedNote) -> None:
    assert APPLIED_HINT.search(body.encode())
    assert find_applied(body) == expected


@pytest.mark.parametrize("body", [
    "> Applied, thanks!\n\nWhy was this applied without review?\n",
    "I applied it locally and it works for me.",
    "Applied on top of v6.1, and this breaks the build.",
    "I applied it and tested on my board.",
    "Applied?",
    "Hi,\n\nCan this be applied?",
    "This is not applied yet.",
    "It will be applied soon.",
    "Once applied, the other series can go.",
    "With this patch applied, the kernel crashes at boot.",
    "Applied patch drivers/leds/leds-lp5812.c cleanly.",
    "I pushed a fix to my tree, please have a look.",
])
def test_not_applied(body: str) -> None:
    assert find_applied(body) is None


def test_linear_on_hostile_input() -> None:
    """Megabytes of one long line, or of many near-miss lines, finish (no backtracking
    blow-up): every line is cut and every pattern anchored."""
    long_line = "Applied to " + "a" * 3_000_000 + "?"
    assert find_applied(long_line) == AppliedNote(None, None, None, (), False)
    near_misses = ("Applied locally to\n\n" + "Applied to " + "x " * 40 + "?\n\n") * 20_000
    assert find_applied(near_misses) is None
    assert find_applied(near_misses + "Applied, thanks!") == AppliedNote(None, None, None, (),
                                                                         False)
    brackets = "[1/2] " * 500_000
    assert find_applied(brackets) is None


def test_asks_for_new_version() -> None:
    assert asks_for_new_version("Looks fine otherwise.\n\nPlease send a v2 with that fixed.")
    assert asks_for_new_version("Could you respin this on top of -rc1?")
    assert not asks_for_new_version("> Please resend\n\nDone, see the thread.")
    assert not asks_for_new_version("Applied, thanks!")
    assert not asks_for_new_version("I'll move it around, no need to respin for this.")
    assert not asks_for_new_version("Please refrain from reposting a series only two days after")
    assert not asks_for_new_version("Let me know if I need to send v8 for this, hopefully not.")
    assert not asks_for_new_version("Would you like me to reword and resend the patches?")
    assert not asks_for_new_version("Maybe we need a new version of KVM_GET_DIRTY_LOG.")
    assert asks_for_new_version("This doesn't apply against current code, please check and "
                                "resend.")


def test_asks_for_new_version_reads_only_the_replys_own_lines() -> None:
    # Only lines that hold a word of a request are looked at; quoted ones and those
    # after the signature still count for nothing, whatever the case or the letters.
    quoted = "> Please resend this.\n" * 200
    assert not asks_for_new_version(quoted + "\nOK by me.")
    assert asks_for_new_version(quoted + "\nPLEASE RESEND this on top of -rc2.")
    assert not asks_for_new_version("Thanks.\n\n-- \nPlease send a v2, says my signature.")
    assert asks_for_new_version("--x\nPlease send a v2.\n--\nsig")
    assert asks_for_new_version("Grüße. Please resend with the fix.")
    assert not asks_for_new_version("Grüße.\n> Please resend with the fix.")
    # A long s (U+017F) folds to s in the patterns, which str.lower does not see.
    assert asks_for_new_version("Please re\u017fend with the fix.")
