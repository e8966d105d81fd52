import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import scoring

FORBIDDEN = (
    "sqlmodel",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "jinja2",
    "pydantic",
    "survey",
    "api",
    "pandas",
)


def test_scoring_imports_no_web_database_or_sibling_package():
    modules = ["scoring"] + [
        m.name for m in pkgutil.walk_packages(scoring.__path__, prefix="scoring.")
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    root = Path(scoring.__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert len(modules) > 10 and "scoring.weighting.ahp" in modules
