"""A first end-to-end check of SSMParameter against the moto server."""

from lambda_cache_di import SSMParameter
from lambda_cache_di.testing import FakeClock


def test_parameter_is_cached_until_it_expires(aws_client):
    """Within max age no new call is made; after it the new value is fetched."""
    ssm = aws_client("ssm")
    ssm.put_parameter(Name="/app/var", Value="one", Type="String")
    clock = FakeClock()
    provider = SSMParameter("/app/var", client=ssm, max_age_in_seconds=60, clock=clock)
    assert provider() == "one"
    ssm.put_parameter(Name="/app/var", Value="two", Type="String", Overwrite=True)
    clock.tick(59)
    assert provider() == "one"
    clock.tick(1)
    assert provider() == "two"
    assert (provider.stats.hits, provider.stats.misses) == (1, 2)
