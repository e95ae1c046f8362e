"""The sha256-addressed weights cache on a real directory."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from league.workers.weights_cache import WeightsCache, WeightsMismatch

BLOBS = {1: b"first weights" * 100, 2: b"second weights" * 100, 3: b"third" * 100}
SHA = {key: hashlib.sha256(value).hexdigest() for key, value in BLOBS.items()}


def _cache(tmp_path, **kwargs):
    fetched: list[int] = []

    def fetch(snapshot_id):
        fetched.append(snapshot_id)
        return BLOBS[snapshot_id]

    return WeightsCache(tmp_path / "cache", fetch, **kwargs), fetched


def test_downloads_once_then_reads_from_disk(tmp_path):
    cache, fetched = _cache(tmp_path)
    assert cache.get(1, SHA[1]) == BLOBS[1]
    assert cache.get(1, SHA[1]) == BLOBS[1]
    assert fetched == [1] and cache.downloads == 1 and cache.hits == 1
    assert (tmp_path / "cache" / f"{SHA[1]}.safetensors").read_bytes() == BLOBS[1]


def test_a_second_cache_on_the_same_directory_reuses_the_file(tmp_path):
    first, _ = _cache(tmp_path)
    first.get(2, SHA[2])
    second, fetched = _cache(tmp_path)
    assert second.get(2, SHA[2]) == BLOBS[2] and fetched == []


def test_a_damaged_file_is_fetched_again(tmp_path):
    cache, fetched = _cache(tmp_path)
    cache.get(1, SHA[1])
    cache.path_for(SHA[1]).write_bytes(b"garbage")
    assert cache.get(1, SHA[1]) == BLOBS[1]
    assert fetched == [1, 1]


def test_bytes_that_do_not_match_the_announced_hash_are_refused_and_not_stored(tmp_path):
    cache, _ = _cache(tmp_path)
    with pytest.raises(WeightsMismatch, match="snapshot 1: downloaded weights hash to"):
        cache.get(1, SHA[2])
    assert list((tmp_path / "cache").iterdir()) == []


@pytest.mark.parametrize("bad", ["", "../../etc/passwd", "ABC", "g" * 64])
def test_names_that_are_not_sha256_digests_are_refused(tmp_path, bad):
    cache, fetched = _cache(tmp_path)
    with pytest.raises(ValueError, match="not a sha256"):
        cache.get(1, bad)
    assert fetched == []


def test_trim_keeps_the_most_recently_used_within_the_cap(tmp_path):
    cache, fetched = _cache(tmp_path, max_bytes=len(BLOBS[1]) + len(BLOBS[2]) + 10)
    cache.get(1, SHA[1])
    cache.get(2, SHA[2])
    old = time.time() - 100
    os.utime(cache.path_for(SHA[2]), (old, old))  # 2 is now the least recently used
    cache.get(1, SHA[1])
    cache.get(3, SHA[3])
    names = {p.name for p in (tmp_path / "cache").iterdir()}
    assert names == {f"{SHA[1]}.safetensors", f"{SHA[3]}.safetensors"}
