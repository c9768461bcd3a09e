"""``python -m byom_monitor``: the same as the ``byom-monitor`` command."""
import sys

from byom_monitor.cli import main

sys.exit(main())
