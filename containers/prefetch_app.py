"""The container of the prefetch example: values of three services, fetched at cold start."""

from dependency_injector import containers, providers

from lambda_cache_di import AwsClients, S3File, Secret, SSMParameter


class PrefetchApp(containers.DeclarativeContainer):
    """Two parameters, a JSON secret and a file; `prefetch` fills them all in the init phase."""

    aws = providers.Container(AwsClients)
    table_name = SSMParameter("/prod/orders/table", max_age_in_seconds=300, client=aws.ssm)
    api_url = SSMParameter("/prod/orders/api_url", client=aws.ssm)
    # jitter=0.1: each refresh happens after 54-60 s, so a fleet does not refresh in step.
    db = Secret("prod/db/credentials", transform="json", jitter=0.1, client=aws.secretsmanager)
    model = S3File("s3://models/churn/model.json", client=aws.s3)
