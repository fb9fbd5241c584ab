"""Cache SSM parameters, Secrets Manager secrets, S3 files and AppConfig profiles across
Lambda invocations, as dependency-injector providers. boto3 is imported on the first fetch,
not here."""

from .clients import AssumedRoleClients, AwsClients
from .core.cache import CacheStats
from .errors import (
    ConfigurationError,
    FetchError,
    LambdaCacheError,
    NotFoundError,
    TransformError,
)
from .prefetch import prefetch
from .providers.appconfig import AppConfig
from .providers.base import CachedProvider
from .providers.calls import CachedCall
from .providers.derived import Derived
from .providers.discovery import cached_providers, invalidate_all, set_clock
from .providers.dynamodb import DynamoDBItems, DynamoDBValue
from .providers.refresh import RefreshPolicy
from .providers.rotation import refresh_on
from .providers.s3 import S3File
from .providers.secrets import Secret, Secrets
from .providers.ssm import SSMParameter, SSMParameters, SSMParametersByPath

__all__ = [
    "AppConfig",
    "AssumedRoleClients",
    "AwsClients",
    "CacheStats",
    "CachedCall",
    "CachedProvider",
    "ConfigurationError",
    "Derived",
    "DynamoDBItems",
    "DynamoDBValue",
    "FetchError",
    "LambdaCacheError",
    "NotFoundError",
    "RefreshPolicy",
    "S3File",
    "SSMParameter",
    "SSMParameters",
    "SSMParametersByPath",
    "Secret",
    "Secrets",
    "TransformError",
    "cached_providers",
    "invalidate_all",
    "prefetch",
    "refresh_on",
    "set_clock",
]
