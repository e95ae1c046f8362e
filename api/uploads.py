"""Reading an uploaded file: in chunks, with the size cap enforced while streaming.

Nothing here looks inside the bytes: the league core checks them by their kind
(`league.core.kinds`) when the snapshot is registered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from league.core.errors import InvalidWeights

READ_CHUNK_BYTES = 1 << 16


async def read_capped(chunks: AsyncIterator[bytes], max_bytes: int) -> bytes:
    """Join `chunks`, refusing with 413 as soon as more than `max_bytes` arrived."""
    parts: list[bytes] = []
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise InvalidWeights(
                f"the weights file is larger than the upload limit of {max_bytes} bytes "
                f"({max_bytes / 2**20:.1f} MiB)",
                status_code=413,
            )
        parts.append(chunk)
    return b"".join(parts)


async def iter_upload(upload, chunk_bytes: int = READ_CHUNK_BYTES) -> AsyncIterator[bytes]:
    """Yield an `UploadFile`'s content in chunks (the multipart parser has already spooled it)."""
    while chunk := await upload.read(chunk_bytes):
        yield chunk
