import sys

from runbook_lib.headless.cli import main

sys.exit(main())
