"""Cache SSM parameters, Secrets Manager secrets and S3 files across Lambda invocations,
as dependency-injector providers. boto3 is imported on the first fetch, not here."""

from .cache import CacheStats
from .clients import AwsClients
from .errors import (
    ConfigurationError,
    FetchError,
    LambdaCacheError,
    NotFoundError,
    TransformError,
)
from .providers.base import CachedProvider, invalidate_all, set_clock
from .providers.ssm import SSMParameter, SSMParameters, SSMParametersByPath

__all__ = [
    "AwsClients",
    "CacheStats",
    "CachedProvider",
    "ConfigurationError",
    "FetchError",
    "LambdaCacheError",
    "NotFoundError",
    "SSMParameter",
    "SSMParameters",
    "SSMParametersByPath",
    "TransformError",
    "invalidate_all",
    "set_clock",
]
