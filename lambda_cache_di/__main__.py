"""`python -m lambda_cache_di` runs the command line."""

import sys

from .tools.cli import main

sys.exit(main())
