"""Application code of the examples: plain functions that know nothing of dependency-injector."""
