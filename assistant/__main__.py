"""``python -m assistant`` is the ``pitchcraft`` command."""

import sys

from .cli import main

sys.exit(main())
