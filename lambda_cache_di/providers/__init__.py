"""Providers: dependency-injector Provider subclasses that join a fetcher and a cache entry."""
