"""Container for the DB connection example: a connection kept until its secret rotates."""

from dependency_injector import containers, providers

from examples.db_client import close_connection, open_connection
from lambda_cache_di import AwsClients, Derived, Secret


class Database(containers.DeclarativeContainer):
    """A JSON secret, and one connection opened from it, opened again after a rotation."""

    wiring_config = containers.WiringConfiguration(modules=["examples.db_connection"])
    aws = providers.Container(AwsClients)
    credentials = Secret("/prod/db/credentials", transform="json", client=aws.secretsmanager)
    # The same connection while the secret is unchanged; a new one (the old one
    # closed) on the first call after a rotated secret is fetched.
    connection = Derived(open_connection, credentials, close=close_connection)
