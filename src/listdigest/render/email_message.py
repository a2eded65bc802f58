"""The digest as an RFC 5322 message, ready for ``sendmail -t`` or SMTP: the text digest
as a UTF-8 ``text/plain`` body (quoted-printable when it is not short-lined ASCII),
optionally with the html page as a ``multipart/alternative`` part, threaded under the
list's previous digest by ``In-Reply-To`` and ``References``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from listdigest.digest import Digest
from listdigest.errors import ListdigestError
from listdigest.model.series import Series
from listdigest.render.html import life_title, render_html, render_life_html, render_stats_html
from listdigest.render.safe import clean, one_line
from listdigest.render.text import render_life_text, render_stats_text, render_text
from listdigest.stats.history import Statistics

DEFAULT_FROM = "listdigest <listdigest@localhost>"
DEFAULT_TO = "undisclosed-recipients:;"
#: How many earlier digests a References header names (the thread's root and the latest).
MAX_REFERENCES = 10
_ID_JUNK_RE = re.compile(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+")


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who a digest mail goes from and to, and which earlier digests it follows."""

    sender: str = DEFAULT_FROM
    to: tuple[str, ...] = (DEFAULT_TO,)
    references: tuple[str, ...] = ()
    """Message-IDs of the list's earlier digests, oldest first (without brackets)."""
    html: bool = False
    """Add the html page as an alternative part."""
    date: datetime = field(default_factory=lambda: datetime.now(UTC))


def digest_message_id(list_name: str, start: str, end: str, sender: str) -> str:
    """A Message-ID made from the list and range (and the sender's domain), so the mail
    of one digest has the same id however often it is built."""
    domain = sender.rpartition("@")[2].strip(" >") or "localhost"
    domain = _ID_JUNK_RE.sub("", domain) or "localhost"
    left = _ID_JUNK_RE.sub("-", f"listdigest.{list_name}.{start}.{end}").strip("-")
    return f"{left}@{domain}"


def thread_ids(ids: list[str]) -> list[str]:
    """The Message-IDs a References header keeps of a thread: the first (the thread's
    root, so clients keep one thread) and the latest, MAX_REFERENCES at most."""
    return ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-MAX_REFERENCES + 1:]]


def _body_cte(text: str) -> str:
    """7bit for ASCII with lines SMTP carries as they are, else quoted-printable."""
    ok = text.isascii() and all(len(line) <= 998 for line in text.splitlines())
    return "7bit" if ok else "quoted-printable"


def build_message(*, subject: str, text: str, html: str | None, message_id: str,
                  envelope: Envelope, list_id: str = "") -> EmailMessage:
    """The mail: headers from cleaned one-line values (no header can be injected), the
    text body, and the html alternative when given."""
    msg = EmailMessage(policy=policy.default)
    try:
        msg["From"] = one_line(envelope.sender)
        msg["To"] = ", ".join(one_line(t) for t in envelope.to)
    except (ValueError, IndexError) as exc:
        raise ListdigestError(f"bad mail address: {exc}") from None
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(envelope.date)
    msg["Message-ID"] = f"<{message_id}>"
    refs = thread_ids([r for r in (one_line(r).strip("<> ") for r in envelope.references) if r])
    if refs:
        msg["In-Reply-To"] = f"<{refs[-1]}>"
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    if list_id := one_line(list_id).strip("<>"):
        msg["X-Listdigest-List-Id"] = f"<{list_id}>"
    msg["MIME-Version"] = "1.0"
    body = clean(text)
    msg.set_content(body, charset="utf-8", cte=_body_cte(body))
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg


def digest_email(d: Digest, envelope: Envelope, *, message_id: str | None = None
                 ) -> EmailMessage:
    """The digest's mail: ``[LIST] mailing list update from A to B``."""
    return build_message(
        subject=f"[{d.list_name}] mailing list update from {d.start} to {d.end}",
        text=render_text(d), html=render_html(d) if envelope.html else None,
        message_id=message_id or digest_message_id(d.list_name, d.start, d.end,
                                                   envelope.sender),
        envelope=envelope, list_id=d.list_id)


def stats_email(s: Statistics, envelope: Envelope) -> EmailMessage:
    """The statistics' mail: ``[LIST] mailing list statistics from A to B``."""
    return build_message(
        subject=f"[{s.list_name}] mailing list statistics from {s.start} to {s.end}",
        text=render_stats_text(s), html=render_stats_html(s) if envelope.html else None,
        message_id=digest_message_id(f"{s.list_name}.stats.{s.by}", s.start, s.end,
                                     envelope.sender),
        envelope=envelope)


def as_text(msg: EmailMessage) -> str:
    """The message as text with LF line ends, as ``sendmail -t`` reads it (every part
    is 7bit or quoted-printable, so the text is ASCII)."""
    return msg.as_string(policy=policy.default.clone(linesep="\n"))


def life_email(versions: list[Series], link_base: str | None, envelope: Envelope
               ) -> EmailMessage:
    """The life of a series as a mail: ``[LIST] series: TITLE (N postings)``."""
    first = versions[0].messages[0]
    name = first.list_id.split(".", 1)[0] or "list"
    return build_message(
        subject=f"[{name}] series: {life_title(versions)}",
        text=render_life_text(versions, link_base),
        html=render_life_html(versions, link_base) if envelope.html else None,
        message_id=digest_message_id(f"{name}.series", first.message_id.split("@")[0],
                                     str(len(versions)), envelope.sender),
        envelope=envelope, list_id=first.list_id)
