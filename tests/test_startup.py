"""A command loads what it uses: the renderer of its format, the mail and web stacks only
when asked for. A fact about the modules a real run imported, not a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from listdigest.cli import COMMANDS, SUMMARIES, cli

#: Modules of the renderers, the mail machinery and the web app: none is needed to
#: print the command list or a text digest.
HEAVY = ("jinja2", "markupsafe", "starlette", "uvicorn", "email.mime", "email.message",
         "smtplib", "xml.etree.ElementTree", "listdigest.render.html",
         "listdigest.render.email_message", "listdigest.render.atom", "listdigest.serve")

#: Runs listdigest with the arguments after ``--`` and writes the names of the modules
#: it imported, one a line, to the file named first.
_RUN = """
import sys
out, args = sys.argv[1], sys.argv[2:]
sys.argv = ["listdigest", *args]
from listdigest.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
finally:
    with open(out, "w") as fh:
        fh.write("\\n".join(sorted(sys.modules)))
"""


def imported(tmp_path: Path, *args: str) -> set[str]:
    """The modules one listdigest run in a fresh interpreter imported."""
    out = tmp_path / "modules.txt"
    subprocess.run([sys.executable, "-c", _RUN, str(out), *args], check=True,
                   capture_output=True)
    return set(out.read_text().split())


def test_help_imports_no_command(tmp_path: Path) -> None:
    modules = imported(tmp_path, "--help")
    assert not modules & set(HEAVY)
    assert not {m for m in modules if m.startswith("listdigest.cli.")} - {"listdigest.cli.say"}


def test_text_digest_imports_no_template_mail_or_web_code(kvmarm: Path, kvmarm_db: Path,
                                                          tmp_path: Path) -> None:
    week = tmp_path / "week.txt"
    modules = imported(tmp_path, "digest", str(kvmarm), "--db", str(kvmarm_db), "--since",
                       "2022-01-24", "--until", "2022-01-30", "-o", str(week), "-q")
    assert not modules & set(HEAVY)
    assert "listdigest.render.text" in modules
    assert "listdigest.render.json" not in modules
    text = week.read_text()
    assert text.startswith("From 2022-01-24 to 2022-01-30 (5d1f7cc6f..b3aaa1b5a)\n")
    assert text.count("\nNew:  ") == 25  # a cover letter or first patch of 25 series


def test_html_digest_loads_its_templates(kvmarm: Path, kvmarm_db: Path,
                                         tmp_path: Path) -> None:
    """The check above can fail: the html format does import jinja2, and no mail code."""
    modules = imported(tmp_path, "digest", str(kvmarm), "--db", str(kvmarm_db), "--since",
                       "2022-01-24", "--until", "2022-01-30", "--format", "html", "-o",
                       str(tmp_path / "week.html"), "-q")
    assert {"jinja2", "listdigest.render.html"} <= modules
    assert not modules & {"smtplib", "email.mime", "listdigest.render.email_message"}


def test_summaries_are_the_commands_help() -> None:
    """--help lists SUMMARIES instead of importing each command: each is its command's
    first paragraph, shortened the same at any width."""
    assert set(SUMMARIES) == set(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        for limit in (30, 60, 120, 400):
            assert (click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit)
                    == command.get_short_help_str(limit)), name
    listed = CliRunner().invoke(cli, ["--help"], terminal_width=80).stdout
    assert "  digest  Print the digest of ARCHIVE (a public-inbox inbox, epoch or v1...\n" in listed


def test_update_loads_mail_and_feed_code_only_to_use_them() -> None:
    """``update`` writing text or JSON digests imports neither smtplib nor the email and
    atom renderers (they are imported where a mail is built or sent, a feed written)."""
    out = subprocess.run([sys.executable, "-c", "import sys, listdigest.cli.update_cmd; "
                          "print('\\n'.join(sys.modules))"], check=True, capture_output=True,
                         text=True).stdout.split()
    assert "listdigest.cli.update_cmd" in out
    assert not set(out) & {"smtplib", "jinja2", "listdigest.render.email_message",
                           "listdigest.render.atom", "listdigest.cli.send"}
