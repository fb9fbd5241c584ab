"""Containers the command-line tests point `lambda-cache-di` at."""
