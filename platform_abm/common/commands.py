"""Sub-command declarations: how each part of the command line adds a command and its options.

:func:`platform_abm.cli.main` runs the command the user named by calling the
``handler`` the command was declared with on the parsed arguments; the
handler returns the exit code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], int]
"""What a sub-command runs: parsed arguments in, exit code out."""


def add_command(
    subparsers: Any, name: str, handler: Handler, *, summary: str, description: str
) -> argparse.ArgumentParser:
    """Declare a sub-command of ``platform-abm``.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
        name: The command's name (``run``, ``sweep``, ``viz``...).
        handler: What the command runs.
        summary: One line for the list of commands (``platform-abm --help``).
        description: What ``platform-abm NAME --help`` says first.

    Returns:
        The command's parser, to add its arguments to.
    """
    command = subparsers.add_parser(name, help=summary, description=description)
    command.set_defaults(handler=handler)
    return command


def add_scenario_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ``scenario`` argument of the commands that run one scenario.

    Args:
        parser: The command's parser.
    """
    parser.add_argument(
        "scenario", nargs="?", help="scenario TOML file (default: built-in default)"
    )


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """The ``--quiet`` option of the commands that show a progress bar.

    Args:
        parser: The command's parser.
    """
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
