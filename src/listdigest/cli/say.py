"""What the commands say on stderr, by verbosity: under cron a run says one summary
line per task (``-q``: nothing but errors), ``-v`` names every skipped commit and
every duplicate.

Every command gets ``-q/--quiet`` and ``-v/--verbose`` from the command group
(:func:`add_verbosity`), so a command added later has them too.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

QUIET, NORMAL, VERBOSE = -1, 0, 1
_KEY = "listdigest.verbosity"
_STAMP = "listdigest.stamp"


def verbosity() -> int:
    """The verbosity of the running command (NORMAL outside one, as in the API)."""
    ctx = click.get_current_context(silent=True)
    return int(ctx.find_root().meta.get(_KEY, NORMAL)) if ctx else NORMAL


def stamp_lines() -> None:
    """From now on, start every line with the time: ``update`` writes a log."""
    ctx = click.get_current_context(silent=True)
    if ctx:
        ctx.find_root().meta[_STAMP] = True


def note(text: str) -> None:
    """A line of the default output on stderr (not with -q)."""
    if verbosity() >= NORMAL:
        click.echo(_line(text), err=True)


def detail(text: str) -> None:
    """A line shown only with -v."""
    if verbosity() >= VERBOSE:
        click.echo(_line(text), err=True)


def warn(text: str) -> None:
    """Something the user should fix, said even with -q."""
    click.echo(_line(f"warning: {text}"), err=True)


def error(text: str) -> None:
    """An error that does not end the run (one list of ``update``)."""
    click.echo(_line(f"error: {text}"), err=True)


def out(text: str) -> None:
    """A line of a command's report on stdout (``mirror``), silent with -q."""
    if verbosity() >= NORMAL:
        click.echo(shown(text))


def on_terminal() -> bool:
    """Whether progress may be drawn: stderr is a terminal and -q was not given."""
    return sys.stderr.isatty() and verbosity() >= NORMAL


def _line(text: str) -> str:
    line = f"listdigest: {shown(text)}"
    ctx = click.get_current_context(silent=True)
    if ctx and ctx.find_root().meta.get(_STAMP):
        return f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {line}"
    return line


def shown(text: str) -> str:
    """``text`` as any stream takes it: a path's bytes that are not UTF-8 (Python holds
    them as lone surrogates) as ``\\xNN``, never a UnicodeEncodeError. This is
    ``sources.files.path_name`` for any text; not imported from there, since ``--help``
    would then load the sources stage."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file name gives
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _set(level: int):  # type: ignore[no-untyped-def]
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            meta = ctx.find_root().meta
            if meta.get(_KEY, NORMAL) not in (NORMAL, level):
                raise click.UsageError("-q and -v contradict each other")
            meta[_KEY] = level
    return callback


def add_verbosity(command: click.Command) -> click.Command:
    """Give a command -q/--quiet and -v/--verbose (once)."""
    if not any(p.name == "quiet" for p in command.params):
        command.params += [
            click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, is_eager=True,
                         callback=_set(QUIET),
                         help="Say nothing but errors and warnings (for cron)."),
            click.Option(["-v", "--verbose"], is_flag=True, expose_value=False, is_eager=True,
                         callback=_set(VERBOSE),
                         help="Name every skipped commit and duplicate message."),
        ]
    return command
