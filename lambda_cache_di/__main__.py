"""`python -m lambda_cache_di` runs the command line."""

import sys

from .cli import main

sys.exit(main())
