"""Fetch functions for `CachedCall`: a boto3 client in (or nothing), a plain value out."""

from __future__ import annotations

import base64
import os
import urllib.request
from typing import Any


def caller_identity(sts: Any) -> str:
    """The account the function runs in, from STS."""
    return str(sts.get_caller_identity()["Account"])


def decrypt_api_key(kms: Any) -> str:
    """The API key held KMS-encrypted (base64) in the environment variable `API_KEY_CIPHERTEXT`."""
    blob = base64.b64decode(os.environ["API_KEY_CIPHERTEXT"])
    return str(kms.decrypt(CiphertextBlob=blob)["Plaintext"].decode())


def read_feature_config() -> str:
    """The body of the internal configuration endpoint at `CONFIG_URL` (JSON text)."""
    with urllib.request.urlopen(os.environ["CONFIG_URL"], timeout=2) as response:
        return str(response.read().decode())
