"""``listdigest update`` mailing each digest: against a local SMTP server (aiosmtpd on
127.0.0.1) and a sendmail command, with the Atom feed kept across runs."""

from __future__ import annotations

import email
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

import feedparser
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner, Result

from listdigest.cli import cli
from listdigest.demo import build_archive, demo_messages
from listdigest.demo.build import append_messages


def lines(result: Result) -> list[str]:
    """update's log lines without their timestamp, and without "listdigest: " before a
    list's key (errors keep it)."""
    return [re.sub(r"^\S+Z listdigest: (?!error: |warning: )", "",
                   re.sub(r"^(\S+Z) (listdigest: (?:error|warning): )", r"\2", line))
            for line in result.stderr.splitlines()]


def patch(n: int, list_id: str) -> bytes:
    return (f"From: Dev {n} <dev{n}@example.org>\nSubject: [PATCH] fix {n}\n"
            f"Date: Mon, 7 Apr 2025 10:{n:02d}:00 +0000\nMessage-ID: <fix-{n}@example.org>\n"
            f"List-Id: <{list_id}>\n\nFix {n}.\n\nSigned-off-by: Dev {n} <dev{n}@example.org>\n"
            ).encode()


@dataclass
class Inbox:
    """What the SMTP server received; ``refuse`` answers the next DATA commands with
    a temporary failure."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    refuse: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 mailbox busy, try later"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as s:  # a free port (aiosmtpd needs to know it before it binds)
        s.bind(("127.0.0.1", 0))
        inbox.port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port,
                            authenticator=inbox.authenticate, auth_require_tls=False)
    controller.start()
    yield inbox
    controller.stop()


def git_tip(inbox: Path) -> str:
    return subprocess.run(["git", "-C", str(inbox / "git" / "0.git"), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()


def run(config: Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["update", "--config", str(config)], env=env)


def two_lists(tmp_path: Path, mail: str, formats: str = '["text"]') -> Path:
    """Config of two lists: the demo and a small list of its own List-Id."""
    build_archive(tmp_path / "demo", demo_messages())
    build_archive(tmp_path / "other", [patch(1, "other.lists.linux.dev")])
    config = tmp_path / "lists.toml"
    config.write_text(f"""
output = "{tmp_path}/out"
formats = {formats}

[lists.demo]
name = "Demo"
archive = "{tmp_path}/demo"
db = "{tmp_path}/demo.sqlite"
since = "2025-03-01"

[lists.other]
archive = "{tmp_path}/other"
db = "{tmp_path}/other.sqlite"
since = "2025-03-01"

{mail}
""")
    return config


def smtp_table(port: int, **extra: str) -> str:
    lines = ['[mail]', 'from = "Digests <digests@example.org>"',
             'to = ["readers@example.org", "archive@example.org"]',
             'smtp_host = "127.0.0.1"', f"smtp_port = {port}"]
    return "\n".join(lines + [f"{k} = {v}" for k, v in extra.items()]) + "\n"


def test_two_lists_two_runs_each_mail_once_and_threaded(smtp: Inbox, tmp_path: Path) -> None:
    config = two_lists(tmp_path, smtp_table(smtp.port, user='"digest"',
                                            password_env='"DIGEST_PW"', html="true"),
                       formats='["text", "atom"]')
    env = {"DIGEST_PW": "s3cret"}
    first = run(config, env)
    assert first.exit_code == 0, first.output
    assert smtp.logins == [(b"digest", b"s3cret"), (b"digest", b"s3cret")]
    assert [m["Subject"] for m in smtp.received] == [
        "[Demo] mailing list update from 2025-03-01 to 2025-03-07",
        "[other] mailing list update from 2025-03-01 to 2025-04-07"]
    assert smtp.envelopes[0] == ("digests@example.org",
                                 ["readers@example.org", "archive@example.org"])
    demo1, other1 = smtp.received
    assert demo1["In-Reply-To"] is None and demo1["References"] is None
    assert other1["X-Listdigest-List-Id"] == "<other.lists.linux.dev>"
    assert demo1.get_content_type() == "multipart/alternative"
    assert "      3  Maria Ortega <maria.ortega@example.com>" in (
        demo1.get_body(("plain",)).get_content())
    assert "demo: mailed [Demo] mailing list update from 2025-03-01 to 2025-03-07 to " \
           "readers@example.org, archive@example.org" in first.stderr

    first_ids = [e.id for e in read_feed(tmp_path / "out" / "other" / "other.atom").entries]
    tip = git_tip(tmp_path / "other")[:9]
    assert first_ids == [f"tag:other.lists.linux.dev,2025-04-07:other/2025-03-01..{tip}"]
    append_messages(tmp_path / "demo", [patch(2, "demo.lists.example.org")])
    append_messages(tmp_path / "other", [patch(3, "other.lists.linux.dev")])
    second = run(config, env)
    assert second.exit_code == 0, second.output
    assert len(smtp.received) == 4
    demo2, other2 = smtp.received[2:]
    assert demo2["In-Reply-To"] == demo1["Message-ID"]
    assert demo2["References"] == demo1["Message-ID"]
    assert other2["In-Reply-To"] == other1["Message-ID"]
    assert "[PATCH] fix 3 - Dev 3 <dev3@example.org>" in other2.get_body(("plain",)).get_content()
    assert len({m["Message-ID"] for m in smtp.received}) == 4

    third = run(config, env)  # nothing new: nothing sent
    assert third.exit_code == 0
    assert lines(third) == ["demo: no new messages", "other: no new messages"]
    assert len(smtp.received) == 4

    # The feed: both digests, newest first, the first one's id unchanged by the rewrite.
    feed = read_feed(tmp_path / "out" / "other" / "other.atom")
    assert [e.title for e in feed.entries] == [
        m["Subject"].replace("[other]", "other") for m in (other2, other1)]
    assert [e.id for e in feed.entries[1:]] == first_ids
    assert "fix 3" in feed.entries[0].content[0].value
    assert "fix 3" not in feed.entries[1].content[0].value


def read_feed(path: Path):  # type: ignore[no-untyped-def]
    feed = feedparser.parse(path.read_bytes(), sanitize_html=False)
    assert not feed.bozo, feed.bozo_exception
    return feed


def test_a_refused_mail_records_nothing_and_is_sent_by_the_next_run(
        smtp: Inbox, tmp_path: Path) -> None:
    config = two_lists(tmp_path, smtp_table(smtp.port))
    smtp.refuse = 1  # the demo's mail, sent first, is refused; the other list's accepted
    failed = run(config)
    assert failed.exit_code == 1
    errors = [line for line in lines(failed) if "error" in line]
    assert errors == [f"listdigest: error: demo: mail refused by 127.0.0.1:{smtp.port}: "
                      "451 4.3.0 mailbox busy, try later"]
    assert [m["Subject"] for m in smtp.received] == [
        "[other] mailing list update from 2025-03-01 to 2025-04-07"]
    again = run(config)  # the demo again (its position was not recorded), the other not
    assert again.exit_code == 0, again.output
    assert "other: no new messages" in lines(again)
    assert [m["Subject"] for m in smtp.received] == [
        "[other] mailing list update from 2025-03-01 to 2025-04-07",
        "[Demo] mailing list update from 2025-03-01 to 2025-03-07"]
    assert lines(run(config)) == ["demo: no new messages",
                                  "other: no new messages"]
    assert len(smtp.received) == 2


def test_update_mails_through_a_sendmail_command(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    fake = tmp_path / "sendmail"
    fake.write_text(f'#!/bin/sh\n[ "$1" = -t ] || exit 64\n'
                    f'cat > "{spool}/$(ls {spool} | wc -l).eml"\n')
    fake.chmod(0o755)
    config = two_lists(tmp_path, f'[mail]\nfrom = "d@example.org"\nto = "r@example.org"\n'
                                 f'sendmail = "{fake} -t"\n', formats='["email"]')
    result = run(config)
    assert result.exit_code == 0, result.output
    sent = sorted(spool.iterdir())
    assert len(sent) == 2
    msg = email.message_from_bytes(sent[0].read_bytes(), policy=policy.default)
    assert msg["Subject"] == "[Demo] mailing list update from 2025-03-01 to 2025-03-07"
    assert msg["To"] == "r@example.org"
    # The email format writes the same message beside the other files.
    [eml] = (tmp_path / "out" / "demo").glob("demo-*.eml")
    assert eml.read_bytes() == sent[0].read_bytes()
    fake.write_text("#!/bin/sh\necho 'sendmail: no route to host' >&2\nexit 75\n")
    append_messages(tmp_path / "other", [patch(2, "other.lists.linux.dev")])
    failed = run(config)
    assert failed.exit_code == 1
    assert lines(failed)[-1] == (
        f"listdigest: error: other: '{fake} -t' failed (exit status 75): "
        "sendmail: no route to host")


@pytest.mark.parametrize("mail,error", [
    ('[mail]\nfrom = "d@example.org"\nto = "r@example.org"\nsmtp_host = "h"\n'
     'password = "secret"\n', "unknown key 'password' in [mail]"),
    ('[mail]\nfrom = "d@example.org"\nsmtp_host = "h"\n',
     "mail needs to = an address or a list of addresses"),
    ('[mail]\nfrom = "d@example.org"\nto = "r@example.org"\n',
     "mail needs either smtp_host or sendmail"),
    ('[mail]\nfrom = "d@example.org"\nto = "r@example.org"\nsmtp_host = "h"\n'
     'password_env = "PW"\n', "mail: password_env needs a user"),
])
def test_mail_config_mistakes_are_one_line(tmp_path: Path, mail: str, error: str) -> None:
    result = run(two_lists(tmp_path, mail))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    if error.startswith("unknown key"):  # a mistake of the top level stops the run
        assert lines == [f"listdigest: error: {tmp_path}/lists.toml: {error}"]
    else:  # an incomplete [mail] is a mistake of each list it leaves incomplete
        assert [line.split(" ", 1)[1] for line in lines] == [
            f"listdigest: error: {tmp_path}/lists.toml: [lists.{key}]: {error} ({key} is not "
            "run)" for key in ("demo", "other")]
    assert not (tmp_path / "out").exists()


def test_a_missing_password_variable_fails_the_list(smtp: Inbox, tmp_path: Path) -> None:
    config = two_lists(tmp_path, smtp_table(smtp.port, user='"digest"',
                                            password_env='"DIGEST_PW_UNSET"'))
    result = run(config)
    assert result.exit_code == 1
    assert result.stderr.count("the environment variable DIGEST_PW_UNSET (the SMTP password)"
                               " is not set") == 2
    assert smtp.received == []


def test_the_feed_keeps_the_newest_entries_and_refuses_a_foreign_file(tmp_path: Path) -> None:
    build_archive(tmp_path / "other", [patch(1, "other.lists.linux.dev")])
    config = tmp_path / "lists.toml"
    config.write_text(f'output = "{tmp_path}/out"\nformats = ["atom"]\nfeed_entries = 2\n'
                      f'[lists.other]\narchive = "{tmp_path}/other"\n'
                      f'db = "{tmp_path}/other.sqlite"\nsince = "2025-03-01"\n')
    feed_path = tmp_path / "out" / "other" / "other.atom"
    for n in (2, 3):
        assert run(config).exit_code == 0
        append_messages(tmp_path / "other", [patch(n, "other.lists.linux.dev")])
    assert run(config).exit_code == 0
    entries = read_feed(feed_path).entries
    assert len(entries) == 2  # three digests, the oldest dropped
    assert ["fix 3" in e.content[0].value for e in entries] == [True, False]
    assert ["fix 2" in e.content[0].value for e in entries] == [False, True]
    feed_path.write_text("<html>not a feed</html>")
    append_messages(tmp_path / "other", [patch(4, "other.lists.linux.dev")])
    failed = run(config)
    assert failed.exit_code == 1
    assert failed.stderr.splitlines()[-1].endswith(
        f"{feed_path} is not an Atom feed: move it away to start a new one")
    feed_path.unlink()
    again = run(config)  # the same digest: its position had not moved
    assert again.exit_code == 0, again.output
    [entry] = read_feed(feed_path).entries
    assert "fix 4" in entry.content[0].value
