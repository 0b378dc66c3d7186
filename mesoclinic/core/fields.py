"""Model fields whose text is read in the reader's language. The row keeps one text, in
English; reading the attribute gives it in the active language, so that every page, PDF,
email, calendar file and API answer shows it translated, with no call to forget."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils import translation


def _active_language() -> str:
    return (translation.get_language() or "en")[:2]


class _ReadEveryTime(DeferredAttribute):
    """Django's field attribute steps aside once the value is in the instance's __dict__;
    with a __set__ it is a data descriptor, consulted on every read."""

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class _FromTranslations(_ReadEveryTime):
    """The text from the row's ``translations`` ({"fr": {"name": …}}), else the English."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is None or _active_language() == "en":
            return value
        translations = instance.__dict__.get("translations") or {}
        return (translations.get(_active_language()) or {}).get(self.field.attname) or value


class _FromMessageCatalogue(_ReadEveryTime):
    """A default text stored as written in the code: read through the message catalogue
    (a text someone wrote themselves has no entry there, and reads as written)."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is None or not value:
            return value
        return translation.gettext(value)


class _StoredAsWritten:
    """What is saved is always the stored text, whatever the language being read."""

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        return model_instance.__dict__.get(self.attname)  # type: ignore[attr-defined]

    def value_from_object(self, obj: Any) -> Any:
        return obj.__dict__.get(self.attname)  # type: ignore[attr-defined]


class TranslatedCharField(_StoredAsWritten, models.CharField):
    descriptor_class = _FromTranslations


class TranslatedTextField(_StoredAsWritten, models.TextField):
    descriptor_class = _FromTranslations


class DefaultTextField(_StoredAsWritten, models.CharField):
    descriptor_class = _FromMessageCatalogue
