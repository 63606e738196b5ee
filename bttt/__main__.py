"""``python -m bttt`` runs the command line."""

import sys

from bttt.cli import main

sys.exit(main())
