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
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from listdigest.errors import ListdigestError

FORMATS = ("text", "json")
_TOP_KEYS = {"output", "formats", "top", "link_base", "lists"}
_LIST_KEYS = {"name", "url", "archive", "output", "formats", "top", "since", "db", "link_base"}


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


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/listdigest/lists.toml``."""
    return platformdirs.user_config_path("listdigest") / "lists.toml"


def load_config(path: Path) -> list[ListConfig]:
    """Read and check the config; every mistake is one clear error naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ListdigestError(f"no config file: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ListdigestError(f"cannot read {path}: {exc}") from None
    _check_keys(path, "the top level", data, _TOP_KEYS)
    lists = data.get("lists")
    if not isinstance(lists, dict) or not lists:
        raise ListdigestError(f"{path}: no [lists.NAME] table")
    out = []
    for key, table in lists.items():
        if not isinstance(table, dict):
            raise ListdigestError(f"{path}: lists.{key} must be a table")
        _check_keys(path, f"[lists.{key}]", table, _LIST_KEYS)
        out.append(_list_config(path, key, data, table))
    return out


def _list_config(path: Path, key: str, defaults: dict[str, object],
                 table: dict[str, object]) -> ListConfig:
    where = f"{path}: [lists.{key}]"

    def get(name: str, default: object = None) -> object:
        return table.get(name, defaults.get(name, default))

    url, archive = table.get("url"), table.get("archive")
    if archive is None and url is None:
        raise ListdigestError(f"{where} needs an archive folder or a url")
    formats = get("formats", ["text"])
    if (not isinstance(formats, list) or not formats
            or any(f not in FORMATS for f in formats)):
        raise ListdigestError(f"{where}: formats must be a list of {', '.join(FORMATS)}")
    top = get("top", 15)
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ListdigestError(f"{where}: top must be a positive whole number")
    if "output" in table:
        output = _path(table["output"])
    elif "output" in defaults:
        output = _path(defaults["output"]) / key
    else:
        raise ListdigestError(f"{where} needs an output folder (output = \"…\")")
    since, db, link_base = table.get("since"), table.get("db"), get("link_base")
    return ListConfig(
        key=key,
        name=str(table.get("name", key)),
        url=str(url) if url else None,
        archive=_path(archive) if archive else
        platformdirs.user_data_path("listdigest") / "mirrors" / key,
        output=output,
        formats=tuple(str(f) for f in formats),
        top=top,
        since=str(since) if since else None,
        db=_path(db) if db else None,
        link_base=str(link_base) if link_base else None,
    )


def _path(value: object) -> Path:
    return Path(str(value)).expanduser()


def _check_keys(path: Path, where: str, table: dict[str, object], allowed: set[str]) -> None:
    if unknown := sorted(set(table) - allowed):
        raise ListdigestError(f"{path}: unknown key {unknown[0]!r} in {where}")
