"""``python -m sync`` is ``crm-sync``."""

import sys

from sync.cli import main

sys.exit(main())
