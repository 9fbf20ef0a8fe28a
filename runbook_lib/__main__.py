import sys

from runbook_lib.cli import main

sys.exit(main())
