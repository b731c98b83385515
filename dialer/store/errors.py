"""What the store raises when Redis cannot answer, named so callers above it never import redis.

Only ``dialer/store`` imports redis (an import-linter contract in
pyproject.toml): the API, the services, the engine and the commands catch
:data:`StoreError` to answer 503, retry or log, and stay unaware of the client
library underneath.
"""

from __future__ import annotations

import redis

StoreError = redis.RedisError  # any failure of the Redis client: connection, timeout, a refused write
