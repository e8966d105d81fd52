"""The account bar of staff pages: who is signed in, with which role and scope.

``account_line(request)`` is a template global: ``templates/_account.html`` calls it in the
header of every page whose route looked the caller up (``CurrentUser`` or ``OptionalUser``);
a page that did not, or an anonymous caller, gets None and shows no bar. The scope is named by
the street's or community's name from the register (one indexed look-up), so an official sees
"街道 · 猛追湾街道", not a code.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlmodel import Session, select

from api.web.i18n import request_lang
from survey.storage.models import Community, Street, User

# role → (中文, English)
ROLE_TEXT: dict[str, tuple[str, str]] = {
    "admin": ("管理员", "admin"),
    "researcher": ("研究人员", "researcher"),
    "official": ("工作人员", "official"),
    "enumerator": ("网格员", "enumerator"),
}
# scope level → (中文, English)
SCOPE_TEXT: dict[str, tuple[str, str]] = {
    "district": ("全区", "whole district"),
    "street": ("街道", "street"),
    "community": ("社区", "community"),
}
ACCOUNT_TEXT: dict[str, tuple[str, str]] = {
    "signed_in_as": ("当前登录", "Signed in as"),
    "sign_out": ("退出登录", "Sign out"),
    "sign_in": ("工作人员登录", "Staff sign-in"),
    "my_page": ("我的页面", "My page"),
}


@dataclass(frozen=True)
class AccountLine:
    username: str
    role: str  # worded in the page's language
    scope: str  # "全区", or "街道 · 猛追湾街道"
    lang: str

    def say(self, key: str) -> str:
        zh, en = ACCOUNT_TEXT[key]
        return en if self.lang == "en" else zh


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def scope_name(session: Session, user: User) -> str:
    """The register's name of the user's street or community ("" for the district or a code
    the register no longer has)."""
    if user.role not in ("official", "enumerator") or user.scope_level == "district":
        return ""
    table = Street if user.scope_level == "street" else Community
    name = session.exec(select(table.name).where(table.code == user.scope_code)).first()
    return str(name) if name else user.scope_code


def describe(session: Session, user: User, lang: str) -> AccountLine:
    role = _pick(ROLE_TEXT.get(user.role, (user.role, user.role)), lang)
    level = user.scope_level if user.role in ("official", "enumerator") else "district"
    scope = _pick(SCOPE_TEXT.get(level, (level, level)), lang)
    name = scope_name(session, user)
    return AccountLine(user.username, role, f"{scope} · {name}" if name else scope, lang)


def account_line(request: Request) -> AccountLine | None:
    user = getattr(request.state, "user", None)
    engine = getattr(request.app.state, "engine", None)
    if not isinstance(user, User) or engine is None:
        return None
    with Session(engine) as session:
        return describe(session, user, request_lang(request))
