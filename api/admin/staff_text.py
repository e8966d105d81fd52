"""The staff administration pages' words (Chinese first, English via ``?lang=en``)."""

from __future__ import annotations

from collections.abc import Callable

from api.web.i18n import translator

STAFF_TEXT: dict[str, tuple[str, str]] = {
    "staff": ("工作人员", "Staff"),
    "audit": ("操作记录", "Audit log"),
    "district": ("辖区名册", "District register"),
    "waves": ("调查轮次", "Waves"),
    "switch_to": ("English", "中文"),
    "username": ("用户名", "Username"),
    "role": ("角色", "Role"),
    "scope": ("范围", "Scope"),
    "scope_level": ("范围级别", "Scope level"),
    "scope_code": ("街道或社区编码", "Street or community code"),
    "scope_district": ("全区", "district"),
    "scope_street": ("街道", "street"),
    "scope_community": ("社区", "community"),
    "status": ("状态", "Status"),
    "active": ("启用", "active"),
    "disabled": ("已停用", "disabled"),
    "created": ("创建时间", "Created"),
    "actions": ("操作", "Actions"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "reset_password": ("重置密码", "Reset password"),
    "new_token": ("新建令牌", "New token"),
    "new_user": ("新建账号", "New account"),
    "password_optional": (
        "密码（选填，至少 {n} 个字符；留空则自动生成）",
        "Password (optional, at least {n} characters; empty: one is generated)",
    ),
    "create": ("新建", "Create"),
    "tokens": ("API 令牌", "API tokens"),
    "token_id": ("编号", "Id"),
    "owner": ("所属账号", "Owner"),
    "token_name": ("名称", "Name"),
    "days": ("有效天数（1–365）", "Valid for days (1–365)"),
    "expires": ("到期", "Expires"),
    "revoke": ("吊销", "Revoke"),
    "no_tokens": ("没有有效的令牌。", "No live tokens."),
    "disable_note": (
        "停用账号会立即结束其所有登录并吊销其全部令牌；重新启用后需重新登录、重新申请令牌。",
        "Disabling an account ends all its sessions and revokes all its tokens at once; once "
        "enabled again it signs in again and needs new tokens.",
    ),
    "shown_once": (
        "请现在复制并安全转交，此后不会再显示。",
        "Copy it now and hand it over safely: it is not shown again.",
    ),
    "password_of": ("{user} 的新密码", "New password of {user}"),
    "token_of": (
        "{user} 的新令牌（编号 {id},{expires} 到期）",
        "New token of {user} (id {id}, expires {expires})",
    ),
    "created_user": ("已新建账号 {user}", "Account {user} created"),
    "refused": ("未执行", "Not done"),
    "actor": ("操作人", "Actor"),
    "action": ("操作", "Action"),
    "target": ("对象", "Target"),
    "since": ("起始日期（北京时间）", "From (date, UTC+8)"),
    "until": ("截止日期（含当日）", "To (date, inclusive)"),
    "any": ("全部", "any"),
    "filter": ("筛选", "Filter"),
    "time": ("时间（北京时间）", "Time (UTC+8)"),
    "detail": ("详情", "Detail"),
    "no_events": ("没有符合条件的记录。", "No event matches."),
    "more_events": (
        "仅显示最新 {n} 条，请缩小筛选范围查看更早的记录。",
        "Only the newest {n} are shown; narrow the filters to see older events.",
    ),
}


def staff_translator(lang: str) -> Callable[..., str]:
    return translator(lang, STAFF_TEXT)
