"""Application code the example containers build on; it knows nothing of dependency injection."""
