"""Containers for the Secrets Manager examples: one per handler module."""

import operator

from dependency_injector import containers, providers

from examples.app.credentials import DbCredentials
from lambda_cache_di import AwsClients, Secret, Secrets


class SingleSecret(containers.DeclarativeContainer):
    """One secret, cached for the default minute."""

    aws = providers.Container(AwsClients)
    conn_string = Secret("/prod/db/conn_string", client=aws.secretsmanager)


class LongerMaxAge(containers.DeclarativeContainer):
    """One secret kept for five minutes."""

    conn_string = Secret("/prod/db/conn_string", max_age_in_seconds=300)


class DifferentAges(containers.DeclarativeContainer):
    """Two secrets with their own max ages: the seed's stacked decorators."""

    conn_string = Secret("/prod/db/conn_string", max_age_in_seconds=30)
    elk = Secret("/prod/app/elk_username_password", max_age_in_seconds=60)


class Composition(containers.DeclarativeContainer):
    """One JSON secret, cached once, handed out whole, as one field and as a model."""

    db_secret = Secret("/prod/db/credentials", transform="json")
    db_password = providers.Callable(operator.itemgetter("password"), db_secret)
    db_credentials = providers.Callable(DbCredentials.model_validate, db_secret)


class SecretGroup(containers.DeclarativeContainer):
    """Several secrets fetched together (BatchGetSecretValue) and injected as one dict."""

    api_keys = Secrets(["/prod/api/stripe", "/prod/api/sendgrid"])
    # A mapping chooses the keys; transform="json" parses every value.
    databases = Secrets(
        {"orders": "/prod/orders/db", "billing": "/prod/billing/db"}, transform="json"
    )


class VersionStages(containers.DeclarativeContainer):
    """The current and the previous version of a signing key, during a rotation."""

    current_key = Secret("/prod/webhook/signing_key")
    previous_key = Secret("/prod/webhook/signing_key", version_stage="AWSPREVIOUS")
