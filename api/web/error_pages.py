"""403 and 404 as pages for browsers, JSON for the API and scripts.

A browser (``Accept: text/html``, not under ``/api/``, no bearer token) asking for a page it
may not see, or one that does not exist, gets a page in its language with a link back instead
of ``{"detail": ...}``. Out-of-scope look-ups stay 404 with the same page as a missing code
(api/web/permissions.py: an official cannot probe what exists outside their scope).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.web.auth import bearer_token
from api.web.i18n import request_lang
from api.web.templating import templates

PAGE_STATUSES = (403, 404)

# status → (title, message), each (中文, English)
ERROR_TEXT: dict[int, tuple[tuple[str, str], tuple[str, str]]] = {
    403: (
        ("无权访问", "Not allowed"),
        (
            "您的账号没有查看此页面的权限。如需访问，请联系区级管理员。",
            "Your account may not see this page. Ask the district administrator for access.",
        ),
    ),
    404: (
        ("页面不存在", "Page not found"),
        (
            "找不到此页面，或它不在您的查看范围内。请检查链接，或从下面的链接返回。",
            "This page does not exist or is outside what you may see. Check the link, or go "
            "back from one of the links below.",
        ),
    ),
}
LINK_TEXT: dict[str, tuple[str, str]] = {
    "home": ("返回首页", "Back to the home page"),
    "my_page": ("我的页面", "My page"),
    "sign_in": ("工作人员登录", "Staff sign-in"),
    "site": ("美好社区评价指数", "Meihao community index"),
}


def wants_page(request: Request) -> bool:
    if request.url.path.startswith("/api/") or bearer_token(request) is not None:
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int) -> HTMLResponse:
    lang = request_lang(request)
    index = 1 if lang == "en" else 0
    title, message = ERROR_TEXT[status]
    signed_in = getattr(request.state, "user", None) is not None
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "lang": lang,
            "status": status,
            "title": title[index],
            "message": message[index],
            "back_url": "/",
            "back_text": LINK_TEXT["home"][index],
            "my_page": LINK_TEXT["my_page"][index],
            "sign_in": LINK_TEXT["sign_in"][index],
            "site": LINK_TEXT["site"][index],
            "signed_in": signed_in,
        },
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
