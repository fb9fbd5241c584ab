"""Providers: dependency-injector Provider subclasses that join a fetcher and a cache entry.

The lowest layer importing dependency_injector (the edges above do too).
`base.py` is what every cached provider has (its shared tier, and the source
protocol the edges read), with its arguments checked in `arguments.py`;
`ssm.py`, `secrets.py`, `s3.py` and `dynamodb.py` are the user's providers,
and `calls.py` (`CachedCall`) caches a fetch function of the user's own; `derived.py`
(with `stamps.py`) rebuilds an object when their values change;
`discovery.py` finds them all in a container.
"""
