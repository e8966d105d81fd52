"""Whether the browser reached us over HTTPS, for the ``Secure`` flag of cookies.

Behind the reverse proxy of docs/deploy.md the server itself speaks plain HTTP on 127.0.0.1,
so the request's own scheme says ``http``; residents and staff still arrive over TLS when the
deployment's public address (``MEIHAO_PUBLIC_BASE_URL``) is ``https://``. Either makes cookies
``Secure``. (X-Forwarded-Proto is not read: ``meihao serve`` believes no forwarded header but
the client address from ``MEIHAO_TRUSTED_PROXIES``.)
"""

from __future__ import annotations

from typing import Any


def secure_scheme(scheme: str, app: Any) -> bool:
    settings = getattr(getattr(app, "state", None), "settings", None)
    public = str(getattr(settings, "public_base_url", "") or "")
    return scheme == "https" or public.startswith("https://")
