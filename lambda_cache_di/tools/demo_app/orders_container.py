"""The orders handler's container: one cached provider per parameter, secret and file."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, S3File, Secret, SSMParameter


class AppContainer(containers.DeclarativeContainer):
    """What the orders handler needs, each value with its own max age."""

    aws = providers.Container(AwsClients)

    table_name = SSMParameter("/prod/orders/table", max_age_in_seconds=300, client=aws.ssm)
    db_conn = Secret("/prod/db/conn_string", client=aws.secretsmanager)
    model = S3File("s3://models/churn/model.json", check_before_download=True, client=aws.s3)
