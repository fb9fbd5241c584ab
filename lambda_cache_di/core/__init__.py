"""Cache core: standard library only (and the library's own `errors`).

`cache.py` is one TTL entry (value, monotonic clock, lock, stale window,
back-off, stats); `pacing.py` how long it waits after failures and throttling;
`names.py` parses what users name (parameters, paths, secrets, S3 URIs);
`transform.py` applies `transform=`; `private_folder.py` holds the private
folder with its file locks and atomic files; `shared.py` the value store the
processes of one environment share; `environment.py` every environment
variable the library reads, and the SnapStart restored flag.
"""
