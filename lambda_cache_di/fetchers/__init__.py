"""Fetchers: one module per AWS service, a boto3 client in and plain values out.

No caching and no dependency injection here. `ssm.py`, `secrets.py`, `s3.py`
and `dynamodb.py` call AWS (`s3_copy.py` adds one download per copy across
processes); `calls.py` calls a user's own fetch function, its errors translated;
`errors.py` translates botocore errors into this library's errors,
`clients.py` builds the default clients, `groups.py` runs a group's calls at
once, `redaction.py` keeps fetched values out of botocore's DEBUG log.
"""
