"""One container with every kind of cached provider, and a small one to check against moto."""

from dependency_injector import containers, providers

from lambda_cache_di import (
    AwsClients,
    S3File,
    Secret,
    Secrets,
    SSMParameter,
    SSMParameters,
    SSMParametersByPath,
)

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:checkapp/complete-AbCdEf"
PARTIAL_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:checkapp/partial"


class Clients(containers.DeclarativeContainer):
    """A nested container of its own that holds a cached provider too."""

    aws = providers.Container(AwsClients)
    feature_flags = SSMParameter("/checkapp/flags", client=aws.ssm)


class Everything(containers.DeclarativeContainer):
    """Each provider kind, with selectors, ARNs, a path and an odd S3 key."""

    nested = providers.Container(Clients)
    greeting = SSMParameter("/checkapp/greeting:3")
    plain = SSMParameter("toplevel")
    settings = SSMParameters(
        {"a": "/checkapp/a", "b": "/checkapp/b:label", "g": "/checkapp/greeting"}
    )
    tree = SSMParametersByPath("/checkapp/tree/", recursive=True)
    flat = SSMParametersByPath("/checkapp/flat", recursive=False)
    api_key = Secret("/checkapp/api_key", version_stage="AWSPREVIOUS")
    complete = Secret(SECRET_ARN, version_id="01234567-89ab-cdef-0123-456789abcdef")
    group = Secrets({"partial": PARTIAL_ARN, "db": "checkapp/db"})
    model = S3File("s3://checkapp-models/churn/model*.json")


class SecretsOnly(containers.DeclarativeContainer):
    """Single secrets at pinned versions only: no BatchGetSecretValue needed."""

    api_key = Secret("/checkapp/api_key", version_stage="AWSPREVIOUS")


class Small(containers.DeclarativeContainer):
    """What `check` runs against moto: present, missing, a secret, a file, an override."""

    greeting = SSMParameter("/checkapp/greeting")
    missing = SSMParameter("/checkapp/missing")
    api_key = Secret("/checkapp/api_key")
    model = S3File("s3://checkapp-models/model.json")
    replaced = SSMParameter("/checkapp/replaced")


class Present(containers.DeclarativeContainer):
    """Only what exists on the moto server."""

    greeting = SSMParameter("/checkapp/greeting")


Small.replaced.override(providers.Object("a stand-in"))

small = Small()  # an instance: `checkapp.containers:small` works as well as the class

not_a_container = 42
