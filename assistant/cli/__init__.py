"""``pitchcraft`` command line: parse, call the package, render. No business logic here.

The commands live in ``commands`` (sales) and ``training`` (enablement); ``common`` holds what
they share. Errors the user can act on become one line on stderr and exit code 2. May import
everything: it is the outermost shell, with the Streamlit app beside the package.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant import __version__
from assistant.cli import commands, deals, training
from assistant.cli.common import EXIT_PARTIAL, EXIT_USAGE
from assistant.core.config import Settings
from assistant.core.errors import LockedError, PitchcraftError


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--kb",
        type=Path,
        default=argparse.SUPPRESS,
        help="knowledge store folder (env PITCHCRAFT_KB)",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable output on stdout",
    )
    parser = argparse.ArgumentParser(
        prog="pitchcraft",
        parents=[common],
        description="Grounded, persona-aware pitches and enablement from your own documents.",
    )
    parser.add_argument("--version", action="version", version=f"pitchcraft {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.register(sub, common)
    training.register(sub, common)
    deals.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.json = getattr(args, "json", False)
    try:
        settings = Settings(**({"kb": args.kb} if getattr(args, "kb", None) else {}))
    except ValueError as exc:
        print(f"pitchcraft: configuration error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args, settings)
    except LockedError as exc:
        print(f"pitchcraft: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except PitchcraftError as exc:
        print(f"pitchcraft: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("pitchcraft: interrupted", file=sys.stderr)
        return 130
