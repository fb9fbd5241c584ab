"""A container module whose import fails on a bad provider definition."""

from lambda_cache_di import SSMParameter

bad = SSMParameter("no//double/slashes")
