"""A container whose cached providers sit at every depth of the graph (docs/graph.md)."""

from dependency_injector import containers, providers

from lambda_cache_di import S3File, Secret, SSMParameter, SSMParameters


class Settings(containers.DeclarativeContainer):
    """A nested container: its cached providers count as the outer one's."""

    flags = SSMParameters(["/app/flags/beta", "/app/flags/dark"])


class GraphApp(containers.DeclarativeContainer):
    """Cached providers nested in a container, a Selector, and the arguments of other providers."""

    config = providers.Configuration()
    settings = providers.Container(Settings)
    table_name = SSMParameter("/app/table")
    # Only the selected secret is ever fetched by a call; prefetch and iam-policy see both.
    db_secret = providers.Selector(
        config.stage, prod=Secret("/prod/db", transform="json"), dev=Secret("/dev/db")
    )
    # Arguments of a Factory, a Singleton and a Callable.
    db = providers.Factory(dict, Secret("/app/db/host"), password=Secret("/app/db/password"))
    features = providers.Singleton(list, SSMParameter("/app/features"))
    model_path = providers.Callable(str, S3File("s3://models-bucket/churn/model.json"))
