"""Container for the database examples: a connection kept until its secret rotates or is refused."""

import psycopg
from dependency_injector import containers, providers

from examples.app.db import close, connect
from lambda_cache_di import AwsClients, Derived, Secret


class Database(containers.DeclarativeContainer):
    """A JSON secret, and one PostgreSQL connection opened from it."""

    aws = providers.Container(AwsClients)
    credentials = Secret("/prod/db/credentials", transform="json", client=aws.secretsmanager)
    # The same connection while the secret is unchanged; a new one (the old one closed)
    # after a rotated secret is fetched. When PostgreSQL refuses the password, the
    # secret is fetched again, then its AWSPENDING version is tried (a rotation's window).
    connection = Derived(connect, credentials, close=close, refresh_on=psycopg.OperationalError)
