"""Reading an upload: the size cap is enforced while streaming (the bytes are checked by the core)."""

from __future__ import annotations

import asyncio

import pytest

from api.uploads import read_capped
from league.core.errors import InvalidWeights


def test_the_size_cap_is_enforced_while_streaming():
    pulled = []

    async def chunks():
        for index in range(100):
            pulled.append(index)
            yield b"x" * 1000

    with pytest.raises(InvalidWeights) as caught:
        asyncio.run(read_capped(chunks(), max_bytes=2500))
    assert caught.value.status_code == 413 and "2500 bytes" in caught.value.message
    assert len(pulled) == 3  # stopped at the first chunk over the cap, not after reading everything

    async def small():
        yield b"ab"
        yield b"cd"

    assert asyncio.run(read_capped(small(), max_bytes=4)) == b"abcd"
