"""The cross-account example against moto's STS: a secret read as a role of its account."""

from containers.cross_account import READER_ROLE
from lambda_cache_di import AssumedRoleClients


def test_cross_account_handler(moto_endpoint, cold_start):
    """The secret lives in the role's account (210987654321); the handler reads it as the role."""
    owner = AssumedRoleClients(role_arn=READER_ROLE)
    owner.secretsmanager().create_secret(Name="prod/orders/db-password", SecretString="pw-12345")
    module = cold_start("examples.cross_account")
    assert module.handler({}, None) == {"password_length": 8}
