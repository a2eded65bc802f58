"""Stage 7: the ``listdigest`` command line (click). Each command lives in its own module."""

from __future__ import annotations

import sys

import click

from listdigest import __version__
from listdigest.errors import ListdigestError


class Failure(click.ClickException):
    """A ListdigestError on its way out: one line on stderr, exit status 1."""

    def show(self, file: object = None) -> None:
        click.echo(f"listdigest: error: {self.message}", err=True)


class Group(click.Group):
    """The command group; turns known errors into one line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ListdigestError as exc:
            raise Failure(str(exc)) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="listdigest")
def cli() -> None:
    """Digests of public-inbox mailing-list archives (lore.kernel.org and others)."""


def _register() -> None:
    from listdigest.cli import demo_cmd, digest_cmd, index_cmd, mirror_cmd, update_cmd

    for module in (demo_cmd, digest_cmd, index_cmd, mirror_cmd, update_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Entry point of the ``listdigest`` command."""
    try:
        cli.main(prog_name="listdigest")
    except BrokenPipeError:  # e.g. `listdigest digest … | head`
        sys.stderr.close()
        sys.exit(0)
