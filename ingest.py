"""Thin shell: ``python ingest.py PATH... [--prune] [--rebuild]`` is ``pitchcraft ingest``."""

import sys

from assistant.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
