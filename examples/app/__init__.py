"""Application code of the examples: models, drivers, credentials; no caching, no container."""
