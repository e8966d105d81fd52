"""``scoring``'s public API: every name in ``__all__`` resolves, and ``import scoring`` alone
loads none of the heavy numerics (the API process imports it on every start)."""

from __future__ import annotations

import json
import subprocess
import sys

import scoring


def test_every_public_name_resolves_to_its_definition() -> None:
    assert len(scoring.__all__) > 40
    for name in scoring.__all__:
        value = getattr(scoring, name)
        assert getattr(value, "__name__", name) == name or not callable(value), name
    assert set(scoring.__all__) <= set(dir(scoring))
    # no export shadows a submodule of the same name
    import pkgutil

    submodules = {m.name for m in pkgutil.iter_modules(scoring.__path__)}
    assert not submodules & set(scoring.__all__)


def test_unknown_names_are_an_attribute_error() -> None:
    try:
        scoring.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_scoring_is_cheap() -> None:
    code = "import scoring, sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not {"scipy", "sklearn", "scoring.pipeline"} & loaded
