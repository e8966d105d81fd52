"""No database call on the event loop: an ``async def`` in ``api/`` must not call a session or
engine method, or a function that does database work, except through ``run_in_threadpool``.

One blocking query inside an ``async def`` stalls every request the worker serves, so this is
checked on the source (an AST lint), not left to load tests. Database work is recognised by what
is called: a method of something named like a session, engine or connection; a function of
``survey.storage`` (the database layer); or any call that is handed a session or engine.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"

DB_RECEIVERS = ("session", "engine", "connection", "conn")
DB_METHODS = {
    "exec", "execute", "get", "add", "add_all", "commit", "rollback", "flush", "refresh",
    "delete", "merge", "scalar", "scalars", "connect", "begin", "dispose", "close", "query",
}  # fmt: skip
HANDS_OFF = {"run_in_threadpool"}  # the one way to reach the database from async code
# survey.storage names that do no I/O: the per-engine hand-over points of the submit path's
# database threads and group committer (their work is awaited, never run on the loop), and
# the pure computations of a new response's row (api/residents/fast_submit.py).
HAND_OVER_POINTS = {"database_thread_for", "committer_for"}  # handed the engine, do no I/O
NO_IO = {
    *HAND_OVER_POINTS, "Receipt", "new_row_values", "payload_hash",
    "source_hash", "is_near_duplicate", "encode_numeric", "check_client_id",
}  # fmt: skip

# (file, function): why it may touch the database on the event loop.
ALLOWED = {
    ("app.py", "lifespan"): "migrates once at start-up, before any request is served",
    ("deps.py", "get_session"): "closes a session outside a transaction: no I/O",
}


def _storage_names(tree: ast.Module) -> set[str]:
    """Names this module imports from ``survey.storage`` (the synchronous database layer)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("survey.storage"):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def _own_body(function: ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``function`` itself, not of functions defined inside it."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_db_name(node: ast.expr) -> bool:
    """``session``, ``db_session``, ``request.app.state.engine``, ``self.conn``..."""
    if isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Name):
        name = node.id
    else:
        return False
    return any(name.lower().endswith(word) for word in DB_RECEIVERS)


def _blocking_calls(function: ast.AsyncFunctionDef, storage: set[str]) -> Iterator[str]:
    nodes = list(_own_body(function))
    # An awaited call is a coroutine: it is checked where it is defined (when it is in api/).
    awaited = {id(n.value) for n in nodes if isinstance(n, ast.Await)}
    for node in nodes:
        if not isinstance(node, ast.Call) or id(node) in awaited:
            continue
        callee = node.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if name in HANDS_OFF or name in HAND_OVER_POINTS:
            continue
        if isinstance(callee, ast.Attribute) and name in DB_METHODS and _is_db_name(callee.value):
            yield f"line {node.lineno}: {ast.unparse(callee)}()"
        elif isinstance(callee, ast.Name) and name in storage and name not in NO_IO:
            yield f"line {node.lineno}: {name}() from survey.storage"
        elif any(_is_db_name(arg) for arg in [*node.args, *(k.value for k in node.keywords)]):
            yield f"line {node.lineno}: {ast.unparse(callee)}() is handed a session or engine"


def blocking_async_calls(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        storage = _storage_names(tree)
        relative = path.relative_to(root).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef) and (relative, node.name) not in ALLOWED:
                found += [
                    f"{relative}:{node.name} {call}" for call in _blocking_calls(node, storage)
                ]
    return found


def test_no_async_def_in_api_calls_the_database() -> None:
    assert blocking_async_calls(API) == []


def test_the_lint_recognises_database_calls(tmp_path: Path) -> None:
    (tmp_path / "routes.py").write_text(
        "from survey.storage.drafts import get_draft\n"
        "async def a(session):\n    session.exec(1)\n"
        "async def b(request):\n    request.app.state.engine.dispose()\n"
        "async def c(session):\n    get_draft(session=session, client_id='x')\n"
        "async def d(session, entry):\n    return receive(entry, session)\n"
        "async def e(session, entry):\n    return await receive_async(entry, session)\n"
        "async def fine(request, session):\n"
        "    form = await request.form()\n"
        "    def inner():\n        session.commit()\n"
        "    return await run_in_threadpool(receive, request, session, form)\n",
        encoding="utf-8",
    )
    found = blocking_async_calls(tmp_path)
    assert [line.split()[0] for line in found] == [
        "routes.py:a",
        "routes.py:b",
        "routes.py:c",
        "routes.py:d",
    ]
