"""Query parameters of the paginated lists (calls, audit entries): pages count from 1."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

PAGE_MAX = 100_000
PER_PAGE_MAX = 100

PageNumber = Annotated[int, Query(ge=1, le=PAGE_MAX)]
PerPage = Annotated[int, Query(ge=1, le=PER_PAGE_MAX)]
