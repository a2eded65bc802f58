"""Hand a digest's mail to an SMTP server or a sendmail command, for ``update``.

Any trouble is one ListdigestError line naming the server and its answer, so that
update counts the list as failed and does not record its position: the next run
builds and sends the mail again. A server that accepts the message for some
recipients but refuses others is trouble too.
"""

from __future__ import annotations

import os
import shlex
import smtplib
import ssl
import subprocess
from email.message import EmailMessage

from listdigest.cli.config import MailConfig
from listdigest.errors import ListdigestError
from listdigest.render.email_message import as_text

SMTP_TIMEOUT = 60
SENDMAIL_TIMEOUT = 120


def send(msg: EmailMessage, cfg: MailConfig) -> None:
    """Deliver ``msg`` to the recipients of its To header, as ``cfg`` says."""
    if cfg.sendmail:
        _sendmail(msg, cfg.sendmail)
    else:
        _smtp(msg, cfg)


def _password(cfg: MailConfig) -> str | None:
    if not cfg.password_env:
        return None
    password = os.environ.get(cfg.password_env)
    if password is None:
        raise ListdigestError(f"mail: the environment variable {cfg.password_env} (the SMTP "
                              "password) is not set")
    return password


def _smtp(msg: EmailMessage, cfg: MailConfig) -> None:
    where = f"{cfg.smtp_host}:{cfg.smtp_port}"
    password = _password(cfg)
    try:
        with smtplib.SMTP(cfg.smtp_host or "", cfg.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.user:
                smtp.login(cfg.user, password or "")
            refused = smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise ListdigestError(f"mail refused by {where}: {_refusals(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        answer = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        raise ListdigestError(f"mail refused by {where}: {exc.smtp_code} "
                              f"{' '.join(answer.split())}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ListdigestError(f"cannot send mail via {where}: {exc}") from None
    if refused:
        raise ListdigestError(f"mail refused by {where} for some recipients: "
                              f"{_refusals(refused)}")


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr}: {code} {answer.decode('utf-8', 'replace')}"
                     for addr, (code, answer) in refused.items())


def _sendmail(msg: EmailMessage, command: str) -> None:
    argv = shlex.split(command)
    try:
        done = subprocess.run(argv, input=as_text(msg).encode("utf-8"), capture_output=True,
                              timeout=SENDMAIL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ListdigestError(f"cannot run {command!r}: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ListdigestError(f"{command!r} failed (exit status {done.returncode})"
                              + (f": {said[0]}" if said else ""))
