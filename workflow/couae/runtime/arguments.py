"""Job arguments of any length.

The rules pass each job its settings (JSON) and file lists on its command
line, and both grow with the config: a block's seeds, every block's
evaluation file, every job's benchmark. Snakemake hands the shell a job's
whole command as one argument, and Linux starts no command with an argument
over MAX_ARG_STRLEN (COMMAND_LIMIT): "Argument list too long", seen at about
18,000 seeds in one block, and far earlier for the tables of many blocks.

A value longer than INLINE_LIMIT therefore goes through a file: one argument
per line in `.snakemake/couae-arguments/<sha256 of the text>.args`, relative
to the working directory (so a moved copy of the project re-runs nothing),
and the command holds `@<that file>`, which the scripts' argparse parsers
(`fromfile_prefix_chars=FROM_FILE`) expand back into the arguments. The name
follows the content: a changed value is a changed parameter for Snakemake's
re-run triggers, as it is inline. Short values stay on the command line, as
readable as before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .atomic import save_text

COMMAND_LIMIT = 128 * 1024  # Linux's MAX_ARG_STRLEN: 32 pages, its terminating NUL included
INLINE_LIMIT = 8 * 1024  # any longer value goes through a file (a command holds several)
ARGUMENT_FOLDER = Path(".snakemake/couae-arguments")
FROM_FILE = "@"  # the scripts' argparse `fromfile_prefix_chars`


def on_command_line(value: str | list) -> str | list:
    """`value` (one argument, or a list of arguments) as a rule's parameter:
    itself where short, else `@<file>` holding it, one argument per line."""
    args = [value] if isinstance(value, str) else [str(v) for v in value]
    if sum(len(a) + 3 for a in args) <= INLINE_LIMIT:  # + quotes and a space each
        return value
    if any("\n" in a for a in args):
        raise ValueError("an argument that goes through a file cannot hold a line break")
    if any(a.startswith(FROM_FILE) for a in args):
        raise ValueError(f"an argument that starts with {FROM_FILE!r} would be read as a file of arguments")
    text = "".join(f"{a}\n" for a in args)
    path = ARGUMENT_FOLDER / f"{hashlib.sha256(text.encode()).hexdigest()}.args"
    if not (path.is_file() and path.read_text() == text):  # written once; a cluster job's Snakemake finds it
        save_text(text, path)
    return f"{FROM_FILE}{path}"
