"""The container of the SnapStart example: a parameter and a secret."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, Secret, SSMParameter


class SnapStartApp(containers.DeclarativeContainer):
    """A table name that may sit in the snapshot, and a secret that must not."""

    aws = providers.Container(AwsClients)
    table_name = SSMParameter("/prod/orders/table", max_age_in_seconds=300, client=aws.ssm)
    db_conn = Secret("/prod/db/conn_string", client=aws.secretsmanager)
