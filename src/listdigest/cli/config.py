"""The lists a user follows, read from a TOML file, for ``listdigest update``.

```toml
output = "~/digests"        # where digests go: a folder per list below it
formats = ["text", "json"]  # default: ["text"]
top = 15
link_base = "https://lore.kernel.org/r/"  # optional: a web link for each series

[lists.kvm]
name = "KVM"                          # the digest's title (default: the table's key)
url = "https://lore.kernel.org/kvm"   # mirror from here (optional)
archive = "~/mirrors/kvm"             # the local archive (default: <data folder>/mirrors/kvm)
output = "~/digests/kvm"              # optional, instead of <top-level output>/kvm
db = "~/kvm.sqlite"                   # optional: the index (default: in the data folder)
since = "2025-08-01"                  # first run only: digest from this date (default: 7 days)

[mail]                                # optional: mail each digest ([lists.kvm.mail] overrides)
from = "KVM digest <digest@example.org>"
to = ["kvm-digest@example.org"]
smtp_host = "smtp.example.org"        # or: sendmail = "/usr/sbin/sendmail -t"
smtp_port = 587                       # default 587 with starttls, else 25
starttls = true
user = "digest"
password_env = "LISTDIGEST_SMTP_PASSWORD"   # the password is read from this variable
html = true                           # add the html page as an alternative part
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from listdigest.cli.options import FORMATS, check_link_base
from listdigest.errors import ListdigestError
from listdigest.sources.dates import parse_when
from listdigest.sources.files import path_name

_TOP_KEYS = {"output", "formats", "top", "link_base", "lists", "mail", "feed_entries",
             "mailmap"}
_LIST_KEYS = {"name", "url", "archive", "output", "formats", "top", "since", "db", "link_base",
              "mail", "feed_entries", "mailmap"}
_MAIL_KEYS = {"from", "to", "smtp_host", "smtp_port", "starttls", "user", "password_env",
              "sendmail", "html"}
#: Entries an update keeps in a list's Atom feed, newest first.
FEED_ENTRIES = 10


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Where update sends each new digest: by SMTP, or by a sendmail command."""

    sender: str
    to: tuple[str, ...]
    smtp_host: str | None
    smtp_port: int
    starttls: bool
    user: str | None
    password_env: str | None
    """The environment variable holding the SMTP password (never the config)."""
    sendmail: str | None
    html: bool


@dataclass(frozen=True, slots=True)
class ListConfig:
    """One followed list."""

    key: str
    name: str
    url: str | None
    archive: Path
    output: Path
    formats: tuple[str, ...]
    top: int
    since: str | None
    db: Path | None
    link_base: str | None
    mail: MailConfig | None = None
    feed_entries: int = FEED_ENTRIES
    mailmap: Path | None = None
    """A .mailmap file (git's format) merging each person's addresses."""


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/listdigest/lists.toml``."""
    return platformdirs.user_config_path("listdigest") / "lists.toml"


@dataclass(frozen=True, slots=True)
class Config:
    """The lists of a config that can run, and one line for each that cannot."""

    lists: list[ListConfig]
    problems: dict[str, str]
    """List key → what is wrong in its table (that list is not run; the others are)."""


def load_config(path: Path) -> Config:
    """Read and check the whole config at once. A broken file or a bad top-level value
    is one clear error naming the file (nothing runs); a mistake inside one list's
    table only keeps that list from running (see Config.problems)."""
    try:
        # Bytes that are not UTF-8 are kept as Python keeps them in file names: a path
        # value may name a folder whose name holds them.
        data = tomllib.loads(path.read_bytes().decode("utf-8", "surrogateescape"))
    except FileNotFoundError:
        raise ListdigestError(f"no config file: {path}") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ListdigestError(f"cannot read {path}: {exc}") from None
    _check_keys(path, "the top level", data, _TOP_KEYS)
    _check_top(path, data)
    lists = data.get("lists")
    if not isinstance(lists, dict) or not lists:
        raise ListdigestError(f"{path}: no [lists.NAME] table")
    out, problems = [], {}
    for key, table in lists.items():
        try:
            if not isinstance(table, dict):
                raise ListdigestError(f"{path}: lists.{key} must be a table")
            _check_keys(path, f"[lists.{key}]", table, _LIST_KEYS)
            _no_nul(f"{path}: [lists.{key}]", {**table, "key": key})
            out.append(_list_config(path, key, data, table))
        except ListdigestError as exc:
            problems[key] = f"{exc} ({key} is not run)"
    return Config(out, problems)


#: Values that name files: they may hold bytes that are not UTF-8, as names may.
_PATH_KEYS = {"archive", "output", "db", "mailmap"}


def _no_nul(where: str, value: object, name: str = "") -> None:
    """A NUL byte in any string of a table is a mistake of that table (no path, URL or
    command can hold one); so are bytes that are not UTF-8 outside a path (a title or
    an address is shown in digests and mail)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _no_nul(where, item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list):
        for item in value:
            _no_nul(where, item, name)
    elif isinstance(value, str) and "\0" in value:
        raise ListdigestError(f"{where}: {name} holds a NUL byte: {value!r}")
    elif isinstance(value, str) and name not in _PATH_KEYS and not _utf8(value):
        raise ListdigestError(f"{where}: {name} is not UTF-8 text: '{path_name(value)}'")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_top(path: Path, data: dict[str, object]) -> None:
    """The top-level values, which every list shares: a mistake there stops the run."""
    where = f"{path}: the top level"
    _no_nul(where, {k: v for k, v in data.items() if k != "lists"})
    for name in ("output", "link_base", "mailmap"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            raise ListdigestError(f"{where}: {name} must be a non-empty string, not {shown}")
    if "formats" in data:
        _check_formats(where, data["formats"])
    for name in ("top", "feed_entries"):
        if name in data:
            _check_count(where, name, data[name])
    try:
        check_link_base(str(data["link_base"]) if data.get("link_base") else None)
    except ListdigestError:
        raise ListdigestError(f"{where}: link_base must be an http:// or https:// address"
                              ) from None
    if data.get("mailmap") and not _path(data["mailmap"]).is_file():
        raise ListdigestError(f"{where}: mailmap {data['mailmap']} is not a file")
    mail = data.get("mail")
    if mail is not None and not isinstance(mail, dict):
        raise ListdigestError(f"{where}: [mail] must be a table")
    if isinstance(mail, dict) and (unknown := sorted(set(mail) - _MAIL_KEYS)):
        raise ListdigestError(f"{path}: unknown key {unknown[0]!r} in [mail]")


def _check_formats(where: str, formats: object) -> list[str]:
    if (not isinstance(formats, list) or not formats
            or any(f not in FORMATS for f in formats) or len(set(formats)) != len(formats)):
        raise ListdigestError(f"{where}: formats must be a list of {', '.join(FORMATS)}")
    return [str(f) for f in formats]


def _check_count(where: str, name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ListdigestError(f"{where}: {name} must be a positive whole number")
    return value


def _list_config(path: Path, key: str, defaults: dict[str, object],
                 table: dict[str, object]) -> ListConfig:
    where = f"{path}: [lists.{key}]"

    def get(name: str, default: object = None) -> object:
        return table.get(name, defaults.get(name, default))

    for name in ("name", "url", "archive", "output", "since", "db", "link_base", "mailmap"):
        value = table.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            raise ListdigestError(f"{where}: {name} must be a non-empty string, not {shown}")
    url, archive = table.get("url"), table.get("archive")
    if archive is None and url is None:
        raise ListdigestError(f"{where} needs an archive folder or a url")
    if isinstance(url, str) and not url.startswith(("https://", "http://")):
        raise ListdigestError(f"{where}: url must be an http(s) address, not {url!r}")

    formats = _check_formats(where, get("formats", ["text"]))
    top = _check_count(where, "top", get("top", 15))
    feed_entries = _check_count(where, "feed_entries", get("feed_entries", FEED_ENTRIES))
    if "output" in table:
        output = _path(table["output"])
    elif "output" in defaults:
        output = _path(defaults["output"]) / key
    else:
        raise ListdigestError(f"{where} needs an output folder (output = \"…\")")
    if output.exists() and not output.is_dir():
        raise ListdigestError(f"{where}: output {output} is not a folder")
    since, db, link_base = table.get("since"), table.get("db"), get("link_base")
    if since is not None:
        try:
            parse_when(str(since))
        except ListdigestError as exc:
            raise ListdigestError(f"{where}: since: {exc}") from None
    if url is None and not _path(archive).exists():
        raise ListdigestError(f"{where}: archive {archive} does not exist (and no url to "
                              "mirror it from)")
    mailmap = _path(get("mailmap")) if get("mailmap") else None
    if mailmap is not None and not mailmap.is_file():
        raise ListdigestError(f"{where}: mailmap {mailmap} is not a file")
    if db is not None and _path(db).is_dir():
        raise ListdigestError(f"{where}: db {db} is a folder, not an index file")
    try:
        link_base = check_link_base(str(link_base) if link_base else None)
    except ListdigestError:
        raise ListdigestError(f"{where}: link_base must be an http:// or https:// address"
                              ) from None
    return ListConfig(
        key=key,
        name=str(table.get("name", key)),
        url=str(url) if url else None,
        archive=_path(archive) if archive else
        platformdirs.user_data_path("listdigest") / "mirrors" / key,
        output=output,
        formats=tuple(formats),
        top=top,
        since=str(since) if since else None,
        db=_path(db) if db else None,
        link_base=link_base,
        mail=_mail_config(where, key, defaults.get("mail"), table.get("mail")),
        feed_entries=feed_entries,
        mailmap=mailmap,
    )


def _mail_config(where: str, key: str, defaults: object, table: object) -> MailConfig | None:
    """The list's [mail] table over the top-level one; None when neither is given."""
    if defaults is None and table is None:
        return None
    merged: dict[str, object] = {}
    for name, part in (("[mail]", defaults), (f"[lists.{key}.mail]", table)):
        if part is None:
            continue
        if not isinstance(part, dict):
            raise ListdigestError(f"{where}: {name} must be a table")
        if unknown := sorted(set(part) - _MAIL_KEYS):
            raise ListdigestError(f"{where}: unknown key {unknown[0]!r} in {name}")
        merged.update(part)
    where = f"{where}: mail"
    sender, to = merged.get("from"), merged.get("to")
    if not isinstance(sender, str) or not sender.strip():
        raise ListdigestError(f"{where} needs a from address (from = \"…\")")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(t, str) and t for t in to):
        raise ListdigestError(f"{where} needs to = an address or a list of addresses")
    host, sendmail = merged.get("smtp_host"), merged.get("sendmail")
    if (host is None) == (sendmail is None):
        raise ListdigestError(f"{where} needs either smtp_host or sendmail")
    for key in ("smtp_host", "sendmail", "user", "password_env"):
        if key in merged and (not isinstance(merged[key], str) or not merged[key]):
            raise ListdigestError(f"{where}: {key} must be a non-empty string")
    for key in ("starttls", "html"):
        if key in merged and not isinstance(merged[key], bool):
            raise ListdigestError(f"{where}: {key} must be true or false")
    starttls = bool(merged.get("starttls", False))
    port = merged.get("smtp_port", 587 if starttls else 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ListdigestError(f"{where}: smtp_port must be a port number")
    user, password_env = merged.get("user"), merged.get("password_env")
    if password_env and not user:
        raise ListdigestError(f"{where}: password_env needs a user")
    return MailConfig(sender=sender, to=tuple(to), smtp_host=str(host) if host else None,
                      smtp_port=port, starttls=starttls, user=str(user) if user else None,
                      password_env=str(password_env) if password_env else None,
                      sendmail=str(sendmail) if sendmail else None,
                      html=bool(merged.get("html", False)))


def _path(value: object) -> Path:
    return Path(str(value)).expanduser()


def _check_keys(path: Path, where: str, table: dict[str, object], allowed: set[str]) -> None:
    if unknown := sorted(set(table) - allowed):
        raise ListdigestError(f"{path}: unknown key {unknown[0]!r} in {where}")
