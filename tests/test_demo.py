"""The README's first command: ``listdigest demo`` on the packaged demo list.

Expected values come from the demo emails (src/listdigest/demo/emails/README.md).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from listdigest.cli import cli


def run_demo(*args: str) -> tuple[str, str]:
    result = CliRunner().invoke(cli, ["demo", *args])
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_demo_tables_count_patch_emails_by_body_author() -> None:
    out, _ = run_demo()
    lines = out.splitlines()
    assert lines[1].startswith("Demo mailing list update from ")
    start = lines.index("Top 15 contributor Email domains (Based on Email Body)")
    assert lines[start + 2 : start + 4] == ["      6 example.com", "      1 example.org"]
    start = lines.index("Top 15 contributors (Based on Email Body)")
    assert lines[start + 2 : start + 7] == [
        "      3  Maria Ortega <maria.ortega@example.com>",
        "      1  Jörg Müller <joerg.mueller@example.com>",
        "      1  Kenji Watanabe <kenji.watanabe@example.com>",
        "      1  Priya Raman <priya.raman@example.com>",
        "      1  Sam Okafor <sam.okafor@example.org>",
    ]


def test_demo_patch_list_groups_series_and_names_missing_patches() -> None:
    out, _ = run_demo()
    section = out.split("===== Patch list in this time period =====\n\n")[1]
    section = section.split("===== Patch Commit Messages ====")[0]
    assert section.splitlines()[:5] == [
        "ringbuf: fix wraparound and limit the buffer size"
        " (v2, 3 patches + cover letter, 1 reply; reviewed)",
        "  [PATCH v2 0/3] ringbuf: fix wraparound and limit the buffer size"
        " - Maria Ortega <maria.ortega@example.com>",
        "  [PATCH v2 1/3] ringbuf: fix off-by-one when the write index wraps"
        " - Maria Ortega <maria.ortega@example.com>",
        "  [PATCH v2 2/3] ringbuf: reject buffers larger than RINGBUF_MAX_SIZE"
        " - Kenji Watanabe <kenji.watanabe@example.com>",
        "  [PATCH v2 3/3] ringbuf: document the wraparound rules and the new size limit"
        " in the header comment - Maria Ortega <maria.ortega@example.com>",
    ]
    assert ("ringbuf: add a lockless single-producer fast path (RFC, 1 patch of 2; waiting)"
            in section)
    assert "  missing: 2/2" in section.splitlines()
    assert section.count("(single patch; ") == 2
    assert "Should ringbuf_put()" not in out  # a discussion is not a patch


def test_demo_entries_show_cover_then_first_patch_without_diff() -> None:
    out, _ = run_demo()
    entries = out.split("===== Patch Commit Messages ====\n\n")[1].split("-" * 70 + "\n\n")
    assert [e.splitlines()[0] for e in entries if e.strip()] == [
        "New:  ringbuf: fix wraparound and limit the buffer size",
        "New:  ringbuf: fix off-by-one when the write index wraps",
        "New:  ringbuf: fix the kernel-doc of ringbuf_get()",
        "New:  ringbuf: compute the slot offset in size_t",
        "New:  ringbuf: add a lockless single-producer fast path",
    ]
    latin1 = entries[2].rstrip("\n").splitlines()
    assert latin1[1:3] == ["[PATCH] ringbuf: fix the kernel-doc of ringbuf_get()",
                           "Author: Jörg Müller <joerg.mueller@example.com>"]
    assert "Reported-by: Inés Peña <ines.pena@example.org>" in latin1
    assert latin1[-2:] == [" lib/ringbuf.c | 4 +++-",
                           " 1 file changed, 3 insertions(+), 1 deletion(-)"]
    assert "diff --git" not in out
    assert out.endswith("-" * 70 + "\n\n")


def test_demo_all_shows_every_patch_with_in_body_author_and_folded_subject() -> None:
    out, _ = run_demo("--all")
    assert out.count("\nNew:  ") == 7  # every patch email: cover, 3 + 2 single + 1 RFC
    assert ("New:  ringbuf: reject buffers larger than RINGBUF_MAX_SIZE\n"
            "[PATCH v2 2/3] ringbuf: reject buffers larger than RINGBUF_MAX_SIZE\n"
            "Author: Kenji Watanabe <kenji.watanabe@example.com>\n\n") in out
    assert "\nFrom: Kenji" not in out  # the in-body header is not part of the message
    assert ("New:  ringbuf: document the wraparound rules and the new size limit in the"
            " header comment\n") in out


def test_demo_summary_accounts_for_every_commit() -> None:
    _, err = run_demo()
    assert err.strip().splitlines()[-1] == (
        "listdigest: Demo: 10 commits: 10 messages (7 patch emails, 2 replies, 1 other,"
        " 0 duplicates), 0 skipped"
    )


def test_demo_json_has_ids_commits_dates_and_authors() -> None:
    out, _ = run_demo("--format", "json")
    data = json.loads(out)
    assert data["summary"]["patch_emails"] == 7
    first = data["series"][0]
    assert [p["counter"] for p in first["patches"]] == [0, 1, 2, 3]
    patch = first["patches"][2]
    assert patch["message_id"] == "20250303091501.41235-3-maria.ortega@example.com"
    assert patch["author"] == {"name": "Kenji Watanabe", "address": "kenji.watanabe@example.com"}
    assert patch["sender"]["address"] == "maria.ortega@example.com"
    assert patch["date"] == "2025-03-03T09:15:03Z"
    assert len(patch["commit"]) == 40
    assert patch["diffstat"] == {"files": 2, "insertions": 5, "deletions": 0}
    assert data["series"][3]["missing"] == [2]
    assert (first["replies"], first["reviews"]) == (1, {"Reviewed-by": 1})

