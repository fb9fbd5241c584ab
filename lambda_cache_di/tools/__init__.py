"""Tools a person runs: the `lambda-cache-di` command (demo, iam-policy, check) and its parts."""
