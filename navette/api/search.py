"""API: catalogue search (the same engine and availability reads as the portal)."""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from navette.search import engine, selectors
from navette.search.messages import availability

router = Router(tags=["catalogue"])


class SearchIn(Schema):
    q: str = ""
    doc_type: list[str] = []
    library: list[str] = []
    language: list[str] = []
    audience: list[str] = []
    decade: list[str] = []
    subject: list[str] = []
    available: bool = False
    available_at: str = ""
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


class ResultOut(Schema):
    id: int
    title: str
    authors: list[str]
    year: int | None
    doc_type: str
    available_at: list[str]
    availability: str


class FacetValueOut(Schema):
    value: str
    count: int


class SearchOut(Schema):
    total: int
    page: int
    results: list[ResultOut]
    facets: dict[str, list[FacetValueOut]]
    available_count: int


class ErrorOut(Schema):
    code: str
    message: str


@router.get("/search", response={200: SearchOut, 400: ErrorOut})
def search(request, params: Query[SearchIn]):
    filters = {name: getattr(params, name) for name in engine.FILTERABLE if getattr(params, name)}
    sp = engine.SearchParams(
        q=params.q[:500], filters=filters, available=params.available, available_at=params.available_at,
        sort=params.sort if params.sort in engine.SORTS else "relevance",
        page=max(1, min(params.page, 500)), per_page=max(1, min(params.per_page, 100)),
    )  # fmt: skip
    try:
        result, rows = selectors.search_page(sp)
    except engine.InvalidSearch as exc:
        return Status(400, ErrorOut(code=exc.code, message=exc.message))
    return SearchOut(
        total=result.total,
        page=sp.page,
        results=[
            ResultOut(
                id=row.record.pk,
                title=row.record.title,
                authors=[a.get("name", "") for a in row.record.authors],
                year=row.record.year,
                doc_type=row.record.doc_type,
                available_at=[lib.code for lib in row.available_at],
                availability=availability(row),
            )  # fmt: skip
            for row in rows
        ],
        facets={
            k: [FacetValueOut(value=v, count=n) for v, n in vals]
            for k, vals in result.facets.items()
        },
        available_count=result.available_count,
    )
