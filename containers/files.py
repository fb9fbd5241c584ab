"""Containers for the S3 examples: one per handler module."""

from dependency_injector import containers, providers

from examples.s3_model_loader import ModelLoader
from lambda_cache_di import AwsClients, S3File

DAY = 24 * 60 * 60


class SingleFile(containers.DeclarativeContainer):
    """One S3 object copied to /tmp and kept for the default minute."""

    wiring_config = containers.WiringConfiguration(modules=["examples.s3_single_file"])
    aws = providers.Container(AwsClients)
    status_file = S3File("s3://bucket-name/path/to/object.json", client=aws.s3)


class FileLongerMaxAge(containers.DeclarativeContainer):
    """One S3 object kept for five minutes."""

    wiring_config = containers.WiringConfiguration(modules=["examples.s3_longer_max_age"])
    status_file = S3File("s3://bucket-name/path/to/object.json", max_age_in_seconds=300)


class CheckBeforeDownload(containers.DeclarativeContainer):
    """Two objects kept for five minutes: one checked with its ETag, one downloaded again."""

    wiring_config = containers.WiringConfiguration(modules=["examples.s3_check_before_download"])
    # An unchanged object costs one GetObject answered 304, with no body.
    status_file = S3File(
        "s3://bucket-name/path/to/object.json", max_age_in_seconds=300, check_before_download=True
    )
    # A tiny object may as well be downloaded again at each expiry.
    flags_file = S3File(
        "s3://bucket-name/path/to/flags.json", max_age_in_seconds=300, check_before_download=False
    )


class Model(containers.DeclarativeContainer):
    """A model file kept for a day and parsed once per download, not once per invocation."""

    wiring_config = containers.WiringConfiguration(modules=["examples.s3_model"])
    model_file = S3File("s3://models-bucket/churn/model.json", max_age_in_seconds=DAY)
    loader = providers.Singleton(ModelLoader)
    # A Callable, not `loader.provided.load.call(model_file)`: wiring rebuilds a
    # `.provided` chain with the class's providers, not the container instance's.
    model = providers.Callable(ModelLoader.load, loader, model_file)
