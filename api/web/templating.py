"""The Jinja2 environment shared by every page (autoescaping on, as Starlette sets it)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from api.web.account import account_line
from api.web.csrf import csrf_input

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals["csrf_input"] = csrf_input  # {{ csrf_input() }} inside every POST form
templates.env.globals["account_line"] = account_line  # the account bar (_account.html)
