"""``python -m server.cli``: the same as the ``showdesk`` command."""

import sys

from server.cli.commands import main

sys.exit(main())
