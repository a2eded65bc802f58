"""Stage 7: the ``listdigest`` command line (click). Each command lives in its own module."""

from __future__ import annotations

import gc
import importlib
import signal
import sys

import click

from listdigest import __version__
from listdigest.cli.say import add_verbosity, shown
from listdigest.errors import ListdigestError


class Failure(click.ClickException):
    """A ListdigestError on its way out: one line on stderr, exit status 1."""

    def show(self, file: object = None) -> None:
        click.echo(f"listdigest: error: {shown(self.message)}", err=True)


#: Commands by name, imported only when run: a digest from the index should not pay
#: for loading the mirror's HTTP code or the progress bars' terminal library.
COMMANDS = {
    "demo": "listdigest.cli.demo_cmd:demo",
    "digest": "listdigest.cli.digest_cmd:digest",
    "index": "listdigest.cli.index_cmd:index",
    "mirror": "listdigest.cli.mirror_cmd:mirror",
    "serve": "listdigest.cli.serve_cmd:serve",
    "series": "listdigest.cli.series_cmd:series",
    "stats": "listdigest.cli.stats_cmd:stats",
    "update": "listdigest.cli.update_cmd:update",
}


#: What ``listdigest --help`` says of each command: the first paragraph of its
#: docstring (a test keeps them equal), so that the list costs no import of the
#: commands, and thus none of serve's web stack or update's mail machinery.
SUMMARIES = {
    "demo": "Build a small demo archive from emails shipped with listdigest and digest it.",
    "digest": "Print the digest of ARCHIVE (a public-inbox inbox, epoch or v1 repository).",
    "index": "Index ARCHIVE in SQLite, or bring its index up to date (only new commits are "
             "read; a rewritten epoch is noticed and re-read).",
    "mirror": "Clone the public-inbox archive at URL into DIR, or update the mirror in DIR.",
    "serve": "Serve the indexed lists (ARCHIVEs, or those of the config) as web pages: "
             "weekly digests, series, people, statistics and search. Read-only; new "
             "messages indexed by `update` or `index` show without a restart.",
    "series": "Print every version of the series MSGID belongs to (a Message-ID of any of "
              "its messages or replies, or a lore URL), oldest first, from ARCHIVE's index.",
    "stats": "Messages, patches, series, replies, reviews and people of ARCHIVE per period, "
             "with the top domains, contributors and reviewers. Fast over years with an "
             "index (`listdigest index ARCHIVE`).",
    "update": "Write a digest of everything new on each followed list since the last update.",
}


class Group(click.Group):
    """The command group: loads commands lazily and turns known errors into one line
    instead of a traceback."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, shortened as click shortens a command's help,
        from SUMMARIES instead of the imported commands."""
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return add_verbosity(command)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ListdigestError as exc:
            raise Failure(str(exc)) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="listdigest")
def cli() -> None:
    """Digests of public-inbox mailing-list archives (lore.kernel.org and others)."""


def exit_on_signal(signum: int, frame: object) -> None:
    """SIGTERM or SIGHUP (``kill``, a closed terminal, a cron timeout) end the run as an
    exit does: ``finally`` blocks remove temporary files, an open index transaction
    rolls back and worker processes are shut down. Exit status 128 + the signal."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point of the ``listdigest`` command."""
    # A run builds hundreds of thousands of records that live until it ends, and frees
    # its short-lived objects by reference counting: the cycle collector's default
    # first threshold (700 allocations) makes it walk the live records again and
    # again. Collecting after 200,000 (mypy's choice) cut `stats` at 200,000 messages
    # by 10-20% of CPU (its peak memory the same) and a whole-archive digest by about
    # 5%; forked workers inherit the setting.
    gc.set_threshold(200_000, 30, 30)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, exit_on_signal)
    try:
        cli.main(prog_name="listdigest")
    except BrokenPipeError:  # e.g. `listdigest digest … | head`
        sys.stderr.close()
        sys.exit(0)
