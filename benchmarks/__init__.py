"""Benchmarks of lambda-cache-di against its peers: run `python -m benchmarks`."""
