"""``python -m api.cli``: the ``meihao`` command without the console script."""

import sys

from api.cli.main import main

sys.exit(main())
