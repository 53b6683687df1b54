"""``python -m assistant`` is the ``pitchcraft`` command."""

import sys

from assistant.cli import main

sys.exit(main())
