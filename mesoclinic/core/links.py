"""Links and keys. Signed links: a record's id in an address, signed with the site's key,
so that a patient opens their own check-in or appointment without an account. Random keys
(API tokens, calendar feeds, the intake and consent links, which are single-use and
revocable) are kept only as their hash: ``key_hash``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from mesoclinic.core.errors import NotFound


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def derived_key(*, purpose: str, nonce: str) -> str:
    """A link's key from a random nonce kept with the row and the site's secret: what the
    database holds (the nonce, the key's hash) does not open the link."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def link_token(*, salt: str, field: str, record_id: int) -> str:
    return signing.dumps({field: record_id}, salt=salt, compress=True)


def link_record_id(token: str, *, salt: str, field: str,
                   max_age: timedelta | None = None) -> int:
    """The id a link names, or NotFound with what the patient should do."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise NotFound(_("This link has expired. Call the clinic if you need to.")) from error
    except signing.BadSignature as error:
        raise NotFound(_("This link is not valid.")) from error
    record_id = payload.get(field) if isinstance(payload, dict) else None
    if not isinstance(record_id, int):
        raise NotFound(_("This link is not valid."))
    return record_id
