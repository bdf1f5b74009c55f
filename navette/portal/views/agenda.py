"""Public agenda pages: the agenda with filters, event and programme pages,
registrations, cancellation links and iCalendar feeds."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.events import agenda_cache, ical, selectors, services
from navette.events.models import Audience, Event, EventStatus, Programme, RegistrationStatus
from navette.network.models import Library
from navette.patrons.session import current_patron
from navette.portal.jsonld import json_ld
from navette.portal.templatetags.agenda_tags import with_display_times

PAGE_SIZE = 20
FEED_LIMIT = 2000


class AgendaFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Rechercher"), required=False, max_length=100)
    du = forms.DateField(
        label=gettext_lazy("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    au = forms.DateField(
        label=gettext_lazy("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bibliotheque = forms.ChoiceField(label=gettext_lazy("Bibliothèque"), required=False)
    commune = forms.ChoiceField(label=gettext_lazy("Commune"), required=False)
    public = forms.ChoiceField(label=gettext_lazy("Public"), required=False)
    theme = forms.ChoiceField(label=gettext_lazy("Thème"), required=False)
    programme = forms.ChoiceField(label=gettext_lazy("Programme"), required=False)

    def __init__(self, *args: Any, choices: selectors.FilterChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("Tous"))]
        self._choice("bibliotheque").choices = [("", _("Toutes"))] + choices.libraries
        self._choice("commune").choices = [("", _("Toutes"))] + [(c, c) for c in choices.communes]
        self._choice("public").choices = every + list(Audience.choices)
        self._choice("theme").choices = every + choices.themes
        self._choice("programme").choices = every + choices.programmes

    def _choice(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def filters(self) -> selectors.AgendaFilters:
        if not self.is_valid():
            # Keep the fields that did parse; a bad date alone must not empty the agenda.
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        return selectors.AgendaFilters(
            date_from=data.get("du"),
            date_to=data.get("au"),
            library=data.get("bibliotheque") or "",
            commune=data.get("commune") or "",
            audience=data.get("public") or "",
            theme=data.get("theme") or "",
            programme=data.get("programme") or "",
            q=(data.get("q") or "").strip(),
        )


def _options(form: AgendaFilterForm) -> dict[str, list[tuple[str, str, str]]]:
    """Each select's options as (value, HTML, HTML when selected), escaped once."""
    return {
        name: [
            (
                str(value),
                format_html('<option value="{}">{}</option>', value, label),
                format_html('<option value="{}" selected>{}</option>', value, label),
            )
            for value, label in cast(list[tuple[str, str]], field.choices)
        ]
        for name, field in form.fields.items()
        if isinstance(field, forms.ChoiceField)
    }


def _filter_fields(
    form: AgendaFilterForm, options: dict[str, list[tuple[str, str, str]]]
) -> list[dict[str, Any]]:
    """The filter fields as plain data: the agenda is the hot page, and plain
    HTML loops render several times faster than Django's widget templates."""
    fields = []
    for name, field in form.fields.items():
        value = str(form.data.get(name, "")) if form.is_bound else ""
        entry: dict[str, Any] = {
            "name": name,
            "id": f"id_{name}",
            "label": field.label,
            "value": value,
        }
        if name in options:
            entry["options"] = mark_safe(  # noqa: S308 - escaped by format_html in _options
                "".join(sel if v == value else plain for v, plain, sel in options[name])
            )
        else:
            entry["type"] = "date" if isinstance(field, forms.DateField) else "search"
        fields.append(entry)
    return fields


def _filter_form(
    request: HttpRequest, now, version: str | None = None
) -> tuple[AgendaFilterForm, Any]:
    """The bound filter form and its escaped options, both from cached choices."""
    lang = get_language()
    key = agenda_cache.key("choices", version or "", lang, clock.today(now))
    cached = cache.get(key) if version else None
    if cached is None:
        choices = selectors.filter_choices(now=now)
        form = AgendaFilterForm(request.GET or None, choices=choices)
        cached = (choices, _options(form))
        if version:
            cache.set(key, cached, agenda_cache.TIMEOUT)
        return form, cached[1]
    return AgendaFilterForm(request.GET or None, choices=cached[0]), cached[1]


def agenda(request: HttpRequest) -> HttpResponse:
    """Upcoming events, filtered by the GET parameters, 20 per page.

    The page's content (filter form, count, events, pagination) depends only on
    the query string, the language, the day and the agenda's data: it is cached
    under the agenda's version (agenda_cache.py), so a repeated request costs
    one indexed query and the rendering of the page's frame.
    """
    now = clock.now()
    version = agenda_cache.agenda_version(now)
    query = request.GET.copy()
    query.pop("page", None)
    feed_url = reverse("portal:agenda_ics") + (f"?{query.urlencode()}" if query else "")
    key = agenda_cache.key(
        "page",
        version or "",
        get_language(),
        clock.today(now),
        sorted(request.GET.lists()),
    )
    content = cache.get(key) if version else None
    context: dict[str, Any] = {"feed_url": feed_url}
    if content is None:
        form, options = _filter_form(request, now, version)
        filters = form.filters() if request.GET else selectors.AgendaFilters()
        events = selectors.agenda_events(filters, now=now).defer("description", "accessibility")
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        with_display_times(page.object_list)
        context.update(form=form, page=page, filters=filters)
        content = render_to_string(
            "portal/agenda/_list_content.html",
            {
                "form": form,
                "filter_fields": _filter_fields(form, options),
                "page": page,
                "query": query.urlencode(),
                "feed_url": feed_url,
            },
        )
        if version:
            cache.set(key, content, agenda_cache.TIMEOUT)
    context["agenda_content"] = content
    return render(request, "portal/agenda/list.html", context)


def _json_ld(request: HttpRequest, event: Event) -> SafeString:
    """schema.org Event, escaped so that it cannot close its <script> element."""
    if event.library_id is not None and event.library is not None:
        lib = event.library
        location: dict[str, Any] = {
            "@type": "Place",
            "name": lib.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": lib.street,
                "postalCode": lib.postcode,
                "addressLocality": lib.city or lib.commune,
                "addressCountry": "FR",
            },
        }
    else:
        location = {"@type": "Place", "name": event.place_name, "address": event.place_address}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.description,
        "startDate": clock.local(event.starts_at).isoformat(),
        "endDate": clock.local(event.ends_at).isoformat(),
        "eventStatus": "https://schema.org/EventCancelled"
        if event.status == EventStatus.CANCELLED
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": location,
        "url": request.build_absolute_uri(reverse("portal:event", args=[event.pk])),
        "isAccessibleForFree": event.is_free,
        "audience": {"@type": "Audience", "audienceType": event.get_audience_display()},
        "organizer": {"@type": "Organization", "name": event.library.name if event.library else ""},
    }
    if event.image:
        data["image"] = request.build_absolute_uri(event.image.url)
    if event.registration_required and event.capacity is not None:
        data["maximumAttendeeCapacity"] = event.capacity
        data["offers"] = {
            "@type": "Offer",
            "price": "0" if event.is_free else event.price,
            "priceCurrency": "EUR",
            "availability": "https://schema.org/InStock"
            if (event.seats_left or 0) > 0
            else "https://schema.org/SoldOut",
            "url": data["url"],
        }
    return json_ld(data)


class RegistrationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom et prénom"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("Adresse électronique"), required=False)
    seats = forms.IntegerField(
        label=gettext_lazy("Nombre de places"),
        min_value=1,
        max_value=services.MAX_SEATS_PER_REGISTRATION,
        initial=1,
    )

    def __init__(self, *args: Any, guest: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if guest:
            self.fields["name"].required = True
            self.fields["email"].required = True
            self.fields["name"].widget.attrs["autocomplete"] = "name"
            self.fields["email"].widget.attrs["autocomplete"] = "email"
        else:
            del self.fields["name"]
            del self.fields["email"]


def _event_parts(request: HttpRequest, event: Event) -> tuple[Event, SafeString, str]:
    """What an event page shows to everyone: JSON-LD and the article's facts."""
    article = render_to_string(
        "portal/agenda/_event_article.html",
        {"event": event, "other_libraries": list(event.other_libraries.all())},
    )
    return event, _json_ld(request, event), article


def _cached_event_parts(
    request: HttpRequest, pk: int, now: Any
) -> tuple[Event, SafeString, str] | None:
    """``_event_parts`` cached under the agenda's version; None for no public event."""
    version = agenda_cache.agenda_version(now)
    key = agenda_cache.key(
        "event", version or "", get_language(), pk, request.scheme, request.get_host()
    )
    parts = cache.get(key) if version else None
    if parts is None:
        event = selectors.event_for_page(pk)
        if event is None:
            return None
        parts = _event_parts(request, event)
        if version:
            cache.set(key, parts, agenda_cache.TIMEOUT)
    return parts


def _form_fields(form: RegistrationForm) -> str:
    """The form's fields; a blank form's are the same for everyone, so cached."""
    if form.is_bound:
        return render_to_string("portal/agenda/_registration_fields.html", {"form": form})
    key = agenda_cache.key("regform", "", get_language(), sorted(form.fields))
    html = cache.get(key)
    if html is None:
        html = render_to_string("portal/agenda/_registration_fields.html", {"form": form})
        cache.set(key, html, agenda_cache.TIMEOUT)
    return html


def _event_page(
    request: HttpRequest,
    event: Event,
    form: RegistrationForm | None = None,
    status: int = 200,
    parts: tuple[Event, SafeString, str] | None = None,
) -> HttpResponse:
    now = clock.now()
    _event, json_ld, article = parts or _event_parts(request, event)
    patron = current_patron(request)
    mine = selectors.patron_registration(event, patron.pk) if patron else None
    can_register = (
        event.registration_required
        and event.status == EventStatus.PUBLISHED
        and now < (event.registration_closes_at or event.starts_at)
        and not (event.registration_opens_at and now < event.registration_opens_at)
        and mine is None
    )
    form = form or RegistrationForm(guest=patron is None)
    return render(
        request,
        "portal/agenda/event.html",
        {
            "event": event,
            "json_ld": json_ld,
            "event_article": mark_safe(article),  # noqa: S308 - rendered by a template
            "patron": patron,
            "mine": mine,
            "mine_token": services.registration_token(mine) if mine else "",
            "can_register": can_register,
            "registration_not_open": bool(
                event.registration_opens_at and now < event.registration_opens_at
            ),
            "form": form,
            "form_fields": mark_safe(_form_fields(form)) if can_register else "",  # noqa: S308
            "is_past": event.ends_at < now,
        },
        status=status,
    )


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The event page; its public part is cached under the agenda's version."""
    parts = _cached_event_parts(request, pk, clock.now())
    if parts is None:
        raise Http404
    return _event_page(request, parts[0], parts=parts)


@require_POST
def event_register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register the logged-in patron, or a guest with name and e-mail."""
    event = selectors.event_for_page(pk)
    if event is None:
        raise Http404
    patron = current_patron(request)
    form = RegistrationForm(request.POST, guest=patron is None)
    if not form.is_valid():
        return _event_page(request, event, form, status=400)
    if patron is None:
        return _guest_request(request, event, form)
    try:
        registration = services.registration_create(
            event=event, patron=patron, seats=form.cleaned_data["seats"],
            actor=Actor.patron(patron.pk), now=clock.now(),
        )  # fmt: skip
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _event_page(request, event, form, status=409)
    _registration_message(request, registration)
    return redirect("portal:event", pk=event.pk)


def _registration_message(request: HttpRequest, registration: Any) -> None:
    if registration.status == RegistrationStatus.CONFIRMED:
        messages.success(
            request,
            _("Votre inscription est confirmée. Un courriel de confirmation vous a été envoyé."),
        )
    else:
        messages.info(
            request,
            _(
                "L'événement est complet : vous êtes sur la liste d'attente. Nous vous écrirons si une place se libère."
            ),
        )


def _guest_request(request: HttpRequest, event: Event, form: RegistrationForm) -> HttpResponse:
    """A guest's request: a mail with a confirmation link, no seat booked yet."""
    try:
        services.guest_registration_request(
            event=event, guest_name=form.cleaned_data["name"],
            guest_email=form.cleaned_data["email"], seats=form.cleaned_data["seats"],
            ip=request.META.get("REMOTE_ADDR", "") or "inconnue", now=clock.now(),
            link_for=lambda token: request.build_absolute_uri(
                reverse("portal:guest_confirm", args=[token])
            ),
        )  # fmt: skip
    except DomainError as exc:
        form.add_error(None, exc.message)
        status = 429 if exc.code == "too_many_requests" else 409
        return _event_page(request, event, form, status=status)
    messages.info(
        request,
        _(
            "Un courriel vient de vous être envoyé : ouvrez le lien qu'il contient pour "
            "confirmer votre inscription. Aucune place n'est réservée avant."
        ),
    )
    return redirect("portal:event", pk=event.pk)


@never_cache
def guest_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a guest's mail: GET shows the request (mail scanners open links),
    POST books the seats."""
    now = clock.now()
    try:
        event, name, _email, seats = services.guest_request_check(token=token, now=now)
    except DomainError as exc:
        return render(request, "portal/agenda/guest_confirm.html", {"error": exc.message},
                      status=404)  # fmt: skip
    context = {"event": event, "name": name, "seats": seats}
    if request.method == "POST":
        try:
            registration = services.guest_registration_confirm(token=token, now=now)
        except DomainError as exc:
            return render(request, "portal/agenda/guest_confirm.html",
                          {**context, "error": exc.message}, status=409)  # fmt: skip
        _registration_message(request, registration)
        return redirect("portal:event", pk=event.pk)
    return render(request, "portal/agenda/guest_confirm.html", context)


def registration_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will be cancelled; POST cancels (links in e-mails are GET-safe)."""
    try:
        registration = services.registration_from_token(token)
    except DomainError as exc:
        return render(request, "portal/agenda/cancel.html", {"error": exc.message}, status=404)
    if request.method == "POST":
        try:
            services.registration_cancel(
                registration=registration,
                actor=Actor.patron(registration.patron_id)
                if registration.patron_id
                else Actor.system("guest-cancel"),
                now=clock.now(),
            )
        except DomainError as exc:
            return render(
                request, "portal/agenda/cancel.html",
                {"registration": registration, "error": exc.message}, status=409,
            )  # fmt: skip
        messages.success(request, _("Votre inscription est annulée."))
        return redirect("portal:event", pk=registration.event_id)
    return render(request, "portal/agenda/cancel.html", {"registration": registration})


def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    programme = get_object_or_404(Programme, slug=slug, is_published=True)
    events = with_display_times(selectors.programme_events(programme))
    return render(
        request, "portal/agenda/programme.html", {"programme": programme, "events": events}
    )


# --- iCalendar feeds ------------------------------------------------------------------------


def _ics(request: HttpRequest, events: Any, name: str, filename: str) -> HttpResponse:
    body = ical.events_calendar(
        events,
        name=name,
        now=clock.now(),
        url_for=lambda e: request.build_absolute_uri(reverse("portal:event", args=[e.pk])),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def agenda_ics(request: HttpRequest) -> HttpResponse:
    """The whole network's agenda, or any filtered view of it (same parameters)."""
    now = clock.now()
    filters = _filter_form(request, now)[0].filters() if request.GET else selectors.AgendaFilters()
    events = selectors.agenda_events(filters, now=now)[:FEED_LIMIT]
    return _ics(request, events, _("Agenda des bibliothèques"), "agenda.ics")


def library_ics(request: HttpRequest, code: str) -> HttpResponse:
    library = get_object_or_404(Library, code=code, is_active=True)
    events = selectors.agenda_events(selectors.AgendaFilters(library=code), now=clock.now())[
        :FEED_LIMIT
    ]
    return _ics(request, events, library.name, f"{code}.ics")


def programme_ics(request: HttpRequest, slug: str) -> HttpResponse:
    programme = get_object_or_404(Programme, slug=slug, is_published=True)
    return _ics(request, selectors.programme_events(programme), programme.title, f"{slug}.ics")


def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """'Add to my calendar' for one event."""
    event = selectors.event_for_page(pk)
    if event is None:
        raise Http404
    return _ics(request, [event], event.title, f"evenement-{pk}.ics")
