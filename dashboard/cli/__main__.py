"""``python -m dashboard.cli``: the ``fibro`` command."""

import sys

from . import main

sys.exit(main())
