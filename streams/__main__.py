"""``python -m streams ...`` is the ``tether`` command."""

from __future__ import annotations

import sys

from streams.cli import main

sys.exit(main())
