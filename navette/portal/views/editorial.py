"""Public pages of what staff publish: news and pages, new arrivals, legal pages."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from navette.catalogue.models import DocType
from navette.catalogue.selectors import NEW_ARRIVAL_DAYS, new_arrival_counts, new_arrivals
from navette.core import clock
from navette.editorial import selectors
from navette.editorial.models import ArticleKind, LegalPageKey
from navette.network.models import Library
from navette.network.selectors import active_libraries

DOC_TYPES = dict(DocType.choices)
NEWS_PER_PAGE = 12
NEW_ARRIVALS_SHOWN = 60


def _library_from(request: HttpRequest) -> Library | None:
    code = request.GET.get("bib", "")
    return Library.objects.filter(code=code, is_active=True).first() if code else None


def _page_number(request: HttpRequest, last: int) -> int:
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() else 1
    return min(max(1, number), max(1, last))


def news_list(request: HttpRequest) -> HttpResponse:
    """Every news item shown now (``?bib=``: one library's), newest first, paged."""
    now = clock.now()
    library = _library_from(request)
    news = selectors.visible_news(now=now, library=library, with_network=False)
    paginator = Paginator(news, NEWS_PER_PAGE)
    page = paginator.page(_page_number(request, paginator.num_pages))
    return render(
        request,
        "portal/editorial/news_list.html",
        {"page": page, "library": library, "libraries": active_libraries()},
    )


def _article(request: HttpRequest, pk: int, kind: ArticleKind) -> HttpResponse:
    article = selectors.visible_article(pk, now=clock.now())
    if article is None or article.kind != kind:
        raise Http404
    return render(request, "portal/editorial/article.html", {"article": article})


def news_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _article(request, pk, ArticleKind.NEWS)


def page_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _article(request, pk, ArticleKind.PAGE)


def new_arrivals_page(request: HttpRequest) -> HttpResponse:
    """Records acquired lately, by library (``bib``) and document type (``type``)."""
    today = clock.today(clock.now())
    since = today - dt.timedelta(days=NEW_ARRIVAL_DAYS)
    library = _library_from(request)
    doc_type = request.GET.get("type", "")
    if doc_type not in DocType.values:
        doc_type = ""
    library_id = library.pk if library is not None else None
    arrivals = new_arrivals(
        since=since, library_id=library_id, doc_type=doc_type, limit=NEW_ARRIVALS_SHOWN
    )
    counts = new_arrival_counts(since=since, library_id=library_id)
    return render(
        request,
        "portal/editorial/new_arrivals.html",
        {
            "arrivals": arrivals,
            "since": since,
            "library": library,
            "doc_type": doc_type,
            "doc_type_label": DocType(doc_type).label if doc_type else "",
            "media": [(DOC_TYPES.get(value, value), value, n) for value, n in counts.items()],
            "libraries": active_libraries(),
            "doc_types": DocType.choices,
        },
    )


def legal_page(request: HttpRequest, key: str) -> HttpResponse:
    page_key = LegalPageKey(key)
    return render(
        request,
        "portal/editorial/legal.html",
        {"key": page_key, "title": page_key.label, "page": selectors.legal_page(page_key)},
    )
