"""The demo's world, shipped in the package so that `lambda-cache-di demo` runs anywhere.

`orders_container.py` holds the container, `orders.py` the handler that wires
itself to it (the two-file example of the README), `orders_uncached.py` the
same handler without a cache, and `world.py` the parameter, secret and file
they expect. Nothing here is imported by `import lambda_cache_di`.
"""
