"""Containers for the `CachedCall` examples: calls the library does not ship, cached."""

from dependency_injector import containers, providers

from examples.app.sources import caller_identity, decrypt_api_key, read_feature_config
from lambda_cache_di import AwsClients, CachedCall


class CallerIdentity(containers.DeclarativeContainer):
    """sts:GetCallerIdentity, asked once an hour."""

    aws = providers.Container(AwsClients)
    account = CachedCall(
        caller_identity,
        client=aws.sts,
        max_age_in_seconds=3600,
        iam_actions=["sts:GetCallerIdentity"],
    )


class DecryptedKey(containers.DeclarativeContainer):
    """kms:Decrypt of an environment variable: a secret, kept in this process only."""

    aws = providers.Container(AwsClients)
    api_key = CachedCall(
        decrypt_api_key,
        client=aws.kms,
        holds_secrets=True,
        max_age_in_seconds=900,
        iam_actions=["kms:Decrypt"],
        iam_resources=["arn:aws:kms:*:*:key/*"],
    )


class FeatureConfig(containers.DeclarativeContainer):
    """An internal HTTP endpoint: JSON text shared by the processes, parsed in each."""

    features = CachedCall(
        read_feature_config,
        name="feature-config",
        transform="json",
        shared=True,
        stale_if_error_in_seconds=300,
    )
