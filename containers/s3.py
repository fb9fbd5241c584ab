"""Containers for the S3 examples: one per handler module."""

from dependency_injector import containers, providers

from examples.app.churn_model import load_model
from lambda_cache_di import AwsClients, S3File


class SingleFile(containers.DeclarativeContainer):
    """One S3 object copied to /tmp and kept for the default minute."""

    aws = providers.Container(AwsClients)
    status_file = S3File("s3://bucket-name/path/to/object.json", client=aws.s3)


class FileLongerMaxAge(containers.DeclarativeContainer):
    """One S3 object kept for five minutes."""

    status_file = S3File("s3://bucket-name/path/to/object.json", max_age_in_seconds=300)


class CheckBeforeDownload(containers.DeclarativeContainer):
    """Two objects kept for five minutes: one checked with its ETag, one downloaded again."""

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

    # The transform gets the local Path after each download; an unchanged object
    # (a 304 at expiry) keeps the model parsed last time.
    model = S3File(
        "s3://models-bucket/churn/model.json", max_age_in_seconds=24 * 60 * 60, transform=load_model
    )
