"""``listdigest serve``: browse the indexed lists in a web browser."""

from __future__ import annotations

from pathlib import Path

import click

from listdigest.cli.config import default_config_path, load_config
from listdigest.cli.digest_cmd import check_link_base
from listdigest.cli.say import QUIET, VERBOSE, error, note, verbosity
from listdigest.errors import ListdigestError
from listdigest.index import default_path
from listdigest.serve import ServedList, create_app
from listdigest.sources.archive import Archive
from listdigest.sources.files import path_name


def served_lists(archives: tuple[str, ...], config: str | None, db: str | None,
                 link_base: str | None) -> list[ServedList]:
    """The lists to serve: the archives named, else every list of the config; each must
    have an index already (the server only reads)."""
    if db is not None and len(archives) != 1:
        raise ListdigestError("--db needs exactly one ARCHIVE")
    out: list[ServedList] = []
    if archives:
        for path in archives:
            arch = Archive.open(path)
            key = path_name(arch.path.resolve().name).removesuffix(".git") or "archive"
            index = Path(db) if db else default_path(arch)
            out.append(ServedList(key, key, arch.path, index, check_link_base(link_base)))
    else:
        loaded = load_config(Path(config) if config else default_config_path())
        for problem in loaded.problems.values():  # the other lists are still served
            error(problem)
        for lc in loaded.lists:
            arch = Archive.open(lc.archive)
            out.append(ServedList(lc.key, lc.name, arch.path, lc.db or default_path(arch),
                                  check_link_base(link_base or lc.link_base)))
        if not out:
            raise ListdigestError("no list of the config can be served")
    keys = [lst.key for lst in out]
    if len(set(keys)) != len(keys):
        raise ListdigestError(f"two lists would be served as {keys[0]!r}: name them in a config")
    for lst in out:
        if not lst.db.is_file():
            raise ListdigestError(f"no index of {lst.key} at {lst.db}: run "
                                  f"`listdigest index {lst.archive}` first")
    return out


EXAMPLES = """\b
Examples:
  listdigest serve kvm                         # http://127.0.0.1:8080/kvm/
  listdigest serve kvm --db ~/kvm.sqlite --port 9000
  listdigest serve --config ~/lists.toml       # every list of the config
"""


@click.command(epilog=EXAMPLES)
@click.argument("archives", nargs=-1, type=click.Path(path_type=str))
@click.option("--config", metavar="FILE", help="Serve every list of this config "
              "(default: ~/.config/listdigest/lists.toml) when no ARCHIVE is named.")
@click.option("--db", metavar="PATH", help="The index of the one ARCHIVE (default: its own).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (another than 127.0.0.1 exposes the lists).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--link-base", metavar="URL",
              help="Link each message to URL + its Message-ID (e.g. https://lore.kernel.org/r/).")
def serve(archives: tuple[str, ...], config: str | None, db: str | None, host: str,
          port: int, link_base: str | None) -> None:
    """Serve the indexed lists (ARCHIVEs, or those of the config) as web pages: weekly
    digests, series, people, statistics and search. Read-only; new messages indexed by
    `update` or `index` show without a restart."""
    import uvicorn

    app = create_app(served_lists(archives, config, db, link_base))
    note(f"serving on http://{host}:{port}/")
    level = {QUIET: "error", VERBOSE: "info"}.get(verbosity(), "warning")  # -v: every request
    uvicorn.run(app, host=host, port=port, log_level=level)
