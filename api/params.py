"""Validated path and query parameters shared by the routers (ids, names, pagination)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**63 - 1  # the largest integer a database id column holds
MAX_OFFSET = 10**9
MAX_LIMIT = 500  # the league core's largest page
NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,100}$"  # one line of 1..100 printable characters

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive integer id")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]
NameQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, description="a name (1-100 characters)")]
