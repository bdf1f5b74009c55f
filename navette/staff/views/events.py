"""Staff pages of the agenda: librarians create, copy and edit their library's
events, see and print attendee lists and mark attendance; network
administrators manage programmes."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from navette.core import clock
from navette.core.actors import Actor
from navette.core.errors import DomainError
from navette.events import selectors, services
from navette.events.errors import EventInvalid
from navette.events.models import Event, EventStatus, Programme
from navette.network.scope import staff_libraries, user_may_act_at
from navette.staff.permissions import librarian_required, network_admin_required

_DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EventForm(forms.ModelForm):
    repeat_until = forms.DateField(
        label=gettext_lazy("Répéter chaque semaine jusqu'au"), required=False, widget=_DATE,
        help_text=gettext_lazy("Laisser vide pour un événement unique (création seulement)."),
    )  # fmt: skip

    class Meta:
        model = Event
        fields = [
            "title", "description", "library", "other_libraries", "place_name", "place_address",
            "starts_at", "ends_at", "audience", "theme", "programme", "is_free", "price",
            "accessibility", "registration_required", "capacity", "registration_opens_at",
            "registration_closes_at", "image", "image_alt",
        ]  # fmt: skip
        widgets = {
            "starts_at": _DT, "ends_at": _DT, "registration_opens_at": _DT,
            "registration_closes_at": _DT,
        }  # fmt: skip

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            cast(forms.DateTimeField, self.fields[name]).input_formats = [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
        if not user.is_network_admin:
            mine = staff_libraries(user)
            cast(forms.ModelChoiceField, self.fields["library"]).queryset = mine
            self.fields["library"].required = True
        if not creating:
            del self.fields["repeat_until"]
        # a field error rather than a number too large for the database column
        cast(forms.IntegerField, self.fields["capacity"]).max_value = services.MAX_CAPACITY
        self.fields["capacity"].validators.append(MaxValueValidator(services.MAX_CAPACITY))

    def _post_clean(self) -> None:
        # Rules are checked by the service (events/services.py), with its messages.
        pass


def _user_libraries(request: HttpRequest) -> list[int] | None:
    user: Any = request.user
    if user.is_network_admin:
        return None
    return list(staff_libraries(user).values_list("pk", flat=True))


def _event_for_staff(request: HttpRequest, pk: int) -> Event:
    event = get_object_or_404(Event.objects.select_related("library", "programme"), pk=pk)
    if not user_may_act_at(request.user, event.library_id):
        raise PermissionDenied
    return event


def _fields_from(form: EventForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("other_libraries", None)
    data.pop("repeat_until", None)
    if not data.get("image"):
        data.pop("image", None)
    return {k: v for k, v in data.items() if k in services.EVENT_FIELDS}


#: the field that confirms an event planned on a day its library is closed
CONFIRM_CLOSED = "malgre_fermeture"


def _closed_days(request: HttpRequest, form: EventForm) -> list[selectors.ClosedDay]:
    """The days the event (or each date of its series) falls while its library is closed,
    unless the librarian already confirmed them (the form then saves)."""
    data = form.cleaned_data
    library, starts = data.get("library"), data.get("starts_at")
    if library is None or starts is None or request.POST.get(CONFIRM_CLOSED):
        return []
    first = clock.local(starts).date()
    days, until = [first], data.get("repeat_until")
    while until and days[-1] + dt.timedelta(weeks=1) <= until and len(days) < 110:
        days.append(days[-1] + dt.timedelta(weeks=1))
    return selectors.closed_days(library, days)


@librarian_required
def events_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    events = selectors.staff_events(_user_libraries(request), now=now)[:300]
    return render(request, "staff/events/list.html", {"events": events, "now": now})


@librarian_required
def event_create(request: HttpRequest) -> HttpResponse:
    """Create one event, or a weekly series when 'repeat until' is given."""
    form = EventForm(request.POST or None, request.FILES or None, user=request.user, creating=True)
    closed = _closed_days(request, form) if request.method == "POST" and form.is_valid() else []
    if request.method == "POST" and form.is_valid() and not closed:
        # a library the user may not act at: the service refuses (403) and audits it
        user: Any = request.user
        fields = _fields_from(form)
        try:
            if form.cleaned_data.get("repeat_until"):
                created = services.event_series_create(
                    fields=fields, until=form.cleaned_data["repeat_until"],
                    actor=Actor.staff(user), now=clock.now(),
                )  # fmt: skip
                for event in created:
                    event.other_libraries.set(form.cleaned_data["other_libraries"])
                messages.success(request, _("%(n)s dates créées.") % {"n": len(created)})
                return redirect("staff:events")
            event = services.event_create(
                fields=fields, other_libraries=form.cleaned_data["other_libraries"],
                actor=Actor.staff(user), now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Événement créé."))
            return redirect("staff:event_attendees", pk=event.pk)
    return render(request, "staff/events/form.html",
                  {"form": form, "creating": True, "closed_days": closed})  # fmt: skip


@librarian_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_for_staff(request, pk)
    form = EventForm(
        request.POST or None, request.FILES or None, instance=Event.objects.get(pk=pk),
        user=request.user, creating=False,
    )  # fmt: skip
    closed = _closed_days(request, form) if request.method == "POST" and form.is_valid() else []
    if request.method == "POST" and form.is_valid() and not closed:
        # moving it to a library the user may not act at: the service refuses (403), audited
        user: Any = request.user
        try:
            services.event_update(
                event=event, fields=_fields_from(form),
                other_libraries=form.cleaned_data["other_libraries"],
                actor=Actor.staff(user), now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Événement modifié."))
            return redirect("staff:event_attendees", pk=event.pk)
    return render(request, "staff/events/form.html",
                  {"form": form, "event": event, "closed_days": closed})  # fmt: skip


class CopyForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Nouvelle date et heure de début"), widget=_DT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )  # fmt: skip


@librarian_required
def event_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy an event to a new date (same duration, no registrations)."""
    event = _event_for_staff(request, pk)
    form = CopyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.event_copy(
                event=event, starts_at=form.cleaned_data["starts_at"],
                actor=Actor.staff(request.user), now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Événement copié."))
            return redirect("staff:event_edit", pk=copy.pk)
    return render(request, "staff/events/copy.html", {"form": form, "event": event})


@librarian_required
@require_POST
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_for_staff(request, pk)
    if event.status != EventStatus.CANCELLED:
        services.event_cancel(event=event, actor=Actor.staff(request.user), now=clock.now())
        messages.success(request, _("Événement annulé ; les inscrits sont prévenus par courriel."))
    return redirect("staff:event_attendees", pk=event.pk)


@librarian_required
def event_attendees(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendee list (printable); POST records who came."""
    event = _event_for_staff(request, pk)
    error = ""
    if request.method == "POST":
        values = request.POST.getlist("present")
        try:
            if not all(v.isascii() and v.isdigit() for v in values):
                raise EventInvalid(
                    _("Inscription inconnue pour cet événement. Rechargez la liste.")
                )
            services.registrations_mark_attendance(
                event=event, present={int(v) for v in values}, actor=Actor.staff(request.user),
                now=clock.now(),
            )  # fmt: skip
        except EventInvalid as exc:
            error = exc.message
        else:
            messages.success(request, _("Présences enregistrées."))
            return redirect("staff:event_attendees", pk=event.pk)
    attendees = selectors.event_attendees(event)
    return render(
        request,
        "staff/events/attendees.html",
        {
            "event": event,
            "error": error,
            "confirmed": [r for r in attendees if r.status == "confirmed"],
            "waiting": [r for r in attendees if r.status == "waiting"],
        },
        status=400 if error else 200,
    )


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["title", "slug", "description", "starts_on", "ends_on", "is_published"]
        widgets = {"starts_on": _DATE, "ends_on": _DATE}

    def _post_clean(self) -> None:
        pass


@network_admin_required
def programmes(request: HttpRequest) -> HttpResponse:
    items = Programme.objects.order_by("-starts_on")
    return render(request, "staff/events/programmes.html", {"programmes": items})


@network_admin_required
def programme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    programme = get_object_or_404(Programme, pk=pk) if pk else None
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.programme_save(
                programme=programme, fields=form.cleaned_data,
                actor=Actor.staff(request.user), now=clock.now(),
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Programme enregistré."))
            return redirect("staff:programme_edit", pk=saved.pk)
    return render(
        request, "staff/events/programme_form.html", {"form": form, "programme": programme}
    )
