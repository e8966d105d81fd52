"""The text guard's shortcut (api/web/text_guard.py ``_plainly_fine``) never lets through what
the full check refuses: for any UTF-8 JSON body it passes, the full parse and walk find nothing."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from api.web.text_guard import MAX_DEPTH, BadText, _plainly_fine, check_json

# Text with lone surrogates among ordinary and CJK characters; numbers with the constants.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.characters(codec="utf-8"),
        st.sampled_from('社区满意度\\"NaN'),
    ),
    max_size=12,
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=40,
)


def _refused(body: bytes) -> bool:
    try:
        check_json(body)
    except BadText:
        return True
    return False


def _full_check(body: bytes) -> bool:
    """check_json with the shortcut off: the parse-and-walk verdict alone."""
    import api.web.text_guard as guard

    real = guard._plainly_fine
    guard._plainly_fine = lambda _body: False  # type: ignore[assignment]
    try:
        return _refused(body)
    finally:
        guard._plainly_fine = real


@given(VALUES, st.booleans())
def test_what_the_shortcut_passes_the_full_check_passes(value: object, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # refused before the shortcut is asked (a raw surrogate)
        assert _refused(body)
        return
    if _plainly_fine(body):
        assert not _full_check(body)


def test_the_shortcut_leaves_each_refusal_to_the_full_check() -> None:
    deep = "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2)
    for body in (b'{"a": "\\ud800"}', b'{"a": NaN}', b'{"a": -Infinity}', deep.encode()):
        assert not _plainly_fine(body) and _refused(body)
    assert _plainly_fine(b'{"D1.1": 4, "gender": "female", "T1": "\xe5\xa5\xbd"}')
