"""The one way Navette writes e-mail: templates per message, rendered in the reader's language.

A message named ``events/registration`` is three templates: ``mail/events/registration.subject``
(one line), ``mail/events/registration.txt`` (the body) and, optionally,
``mail/events/registration.html``. A language may have its own version under
``mail/<language>/`` (``mail/en/notices/hold_ready.txt``); otherwise the common template is
rendered with the language active, through the translation catalogue. Text templates
start with ``{% autoescape off %}``: they are not HTML.

Lives in core, below every app that sends mail (notices, events, patrons, digital).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import translation


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


def mail_language(language: str | None) -> str:
    """The language to write in: the reader's when the site offers it (``en-gb`` reads as
    ``en``), the site's default (``LANGUAGE_CODE``) otherwise."""
    offered = {code for code, _name in settings.LANGUAGES}
    wanted = (language or "").strip().lower()
    for candidate in (wanted, wanted.split("-")[0]):
        if candidate in offered:
            return candidate
    return str(settings.LANGUAGE_CODE)


def _render(name: str, language: str, suffix: str, context: dict[str, Any]) -> str:
    template = select_template([f"mail/{language}/{name}.{suffix}", f"mail/{name}.{suffix}"])
    return template.render(context)


def render_mail(template_base: str, context: dict[str, Any], language: str | None) -> RenderedMail:
    """Subject, text and HTML (None without an HTML template) of the message
    ``template_base`` in ``language`` (see ``mail_language``).

    Raises ``TemplateDoesNotExist`` when the subject or the text template is missing.
    """
    language = mail_language(language)
    with translation.override(language):
        subject = " ".join(_render(template_base, language, "subject", context).split())
        text = _render(template_base, language, "txt", context).strip() + "\n"
        try:
            html: str | None = _render(template_base, language, "html", context)
        except TemplateDoesNotExist:
            html = None
    return RenderedMail(subject=subject, text=text, html=html)


def build_mail(
    template_base: str,
    context: dict[str, Any],
    language: str | None,
    *,
    to: Sequence[str],
    connection: BaseEmailBackend | None = None,
) -> EmailMultiAlternatives:
    """The message ready to send (``.send()``), from ``DEFAULT_FROM_EMAIL``; the HTML
    version, when there is one, as an alternative to the text."""
    rendered = render_mail(template_base, context, language)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        connection=connection,
        headers={"Content-Language": mail_language(language)},
    )
    if rendered.html is not None:
        message.attach_alternative(rendered.html, "text/html")
    return message
