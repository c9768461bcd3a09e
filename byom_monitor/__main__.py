"""``python -m byom_monitor``: the same as the ``byom-monitor`` command."""
import sys

from .cli import main

sys.exit(main())
