"""When the form was first served, carried by the form itself until the first save.

Opening a poster link stores nothing: link previews, scanners and bots open links too, and a
draft per GET grew the table without bound. The draft is made when the resident first saves a
page (or autosave does). The response's server-side start time is still the moment the form was
served: the page carries that moment signed with the deployment's secret key and bound to its
client id, and the first save turns it into the draft's ``started_at``. A stamp that is missing,
forged, for another client id or older than the draft retention counts as a restart (the
speeder rule then ignores the duration), exactly like a draft lost mid-form.
"""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.settings import Settings

STAMP_FIELD = "started"
_SALT = "meihao.form-start"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def start_stamp(settings: Settings, client_id: str) -> str:
    """The hidden field's value for a form served now to ``client_id``."""
    return _serializer(settings).dumps(client_id)


def stamped_start(settings: Settings, client_id: str, stamp: str | None) -> datetime | None:
    """When the form of ``client_id`` was served, or None when the stamp does not prove it."""
    if not stamp:
        return None
    max_age = settings.draft_retention_days * 24 * 3600
    try:
        signed, served = _serializer(settings).loads(stamp, max_age=max_age, return_timestamp=True)
    except BadSignature:  # includes SignatureExpired
        return None
    if signed != client_id:
        return None
    return served.astimezone(UTC)
