"""Stage 7: the ``listdigest`` command line (click). Each command lives in its own module."""

from __future__ import annotations

import sys

import click

from listdigest import __version__
from listdigest.errors import ListdigestError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="listdigest")
def cli() -> None:
    """Digests of public-inbox mailing-list archives (lore.kernel.org and others)."""


def _register() -> None:
    from listdigest.cli import demo_cmd, digest_cmd, mirror_cmd

    for module in (demo_cmd, digest_cmd, mirror_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Entry point: run the group, turning known errors into one line on stderr."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("listdigest: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ListdigestError as exc:
        click.echo(f"listdigest: error: {exc}", err=True)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(0)
