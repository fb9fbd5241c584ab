"""Container for the cross-account example: a secret read as a role of its own account."""

from dependency_injector import containers, providers

from lambda_cache_di import AssumedRoleClients, Secret

READER_ROLE = "arn:aws:iam::210987654321:role/orders-reader"


class CrossAccount(containers.DeclarativeContainer):
    """A secret of another account, read as a role of that account."""

    reader = providers.Container(AssumedRoleClients, role_arn=READER_ROLE, external_id="orders-fn")
    db_password = Secret("prod/orders/db-password", client=reader.secretsmanager)
