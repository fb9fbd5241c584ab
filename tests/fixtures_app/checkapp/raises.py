"""A container module whose import fails with an exception that quotes a value."""

raise RuntimeError("could not parse VALUE-do-not-print")
