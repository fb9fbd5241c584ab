"""Fetchers: one module per AWS service, a boto3 client in and plain values out.

No caching and no dependency injection here. botocore errors are translated
into this library's errors by `translate_error`.
"""
