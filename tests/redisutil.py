"""The Redis server `.ci/run` starts on loopback, for the tests of FSM state shared between instances.

`TEST_REDIS_URL` names it, e.g. ``redis://127.0.0.1:6379/0``. Without it those tests are skipped locally;
under CI (``CI`` set) they fail, so the lane cannot vanish silently. Each test gets a key prefix of its
own and removes its keys afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

ENV = "TEST_REDIS_URL"


def redis_url() -> str:
    url = os.environ.get(ENV, "")
    if not url:
        message = f"{ENV} is not set: start redis-server as .ci/run does to run this test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@asynccontextmanager
async def redis_prefix() -> AsyncIterator[tuple[str, str]]:
    """(REDIS_URL, a fresh key prefix); every key under the prefix is deleted afterwards."""
    from redis.asyncio import Redis

    url = redis_url()
    prefix = f"adresat-test-{secrets.token_hex(6)}"
    try:
        yield url, prefix
    finally:
        client = Redis.from_url(url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()
