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
)
# pandas is not on the list: scikit-learn itself imports it whenever it is installed, so it
# may be in sys.modules; what the rule forbids is scoring's own code importing it.
NOT_IMPORTED_BY_OUR_CODE = ("pandas",)


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


def test_scoring_source_imports_no_dataframe_library():
    root = Path(scoring.__file__).resolve().parent
    offenders = [
        f"{path.relative_to(root)}:{k}"
        for path in root.rglob("*.py")
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        # at module level: ``WaveResult.to_frames`` imports pandas lazily, for notebooks only
        if line.startswith(("import ", "from "))
        and line.split()[1].split(".")[0] in NOT_IMPORTED_BY_OUR_CODE
    ]
    assert offenders == []
