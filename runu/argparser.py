"""argparse's view of runu's command line (runu.cli's tables): help, usage errors, and the
shapes runu.quickargs leaves to it."""

import argparse
import os
import sys

from runu import OCI_VERSION, __version__
from runu.cli import COMMANDS, GLOBALS, UsageError


def _terminal_width() -> int:
    """shutil.get_terminal_size's columns (COLUMNS, else stdout's terminal, else 80), without
    importing shutil: its import alone is a tenth of a `runu create`."""
    try:
        if (columns := int(os.environ.get("COLUMNS", "0"))) > 0:
            return columns
    except ValueError:
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (OSError, AttributeError, ValueError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's, with the width found once: add_argument makes one per argument to check it."""

    width: int | None = None

    def __init__(self, prog):
        if _Formatter.width is None:
            _Formatter.width = _terminal_width() - 2
        super().__init__(prog, width=_Formatter.width)


class _Parser(argparse.ArgumentParser):
    """Usage errors become one line (and a --log record), exit 1, as runc does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, formatter_class=_Formatter, **kwargs)

    def error(self, message):
        raise UsageError(message)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The parser for `verb` alone (every verb for help): building all of them
    costs more than a whole `runu state`."""
    parser = _Parser(prog="runu", description="OCI runtime: one user-space Linux kernel per container")
    parser.add_argument("-v", "--version", action="version",
                        version=f"runu version {__version__}\nspec: {OCI_VERSION}")
    for flags, options in GLOBALS:
        parser.add_argument(*flags, **options)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (help_text, arguments) in COMMANDS.items():
        if verb in COMMANDS and name != verb:
            continue
        command = sub.add_parser(name, help=help_text)
        for flags, options in arguments:
            command.add_argument(*flags, **options)
    return parser
