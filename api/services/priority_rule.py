"""The priorities' quadrant rule in one sentence, and the district's importance with intervals
(issue 12; the estimators are in ``scoring/importance.py``, wired by ``scoring/diagnostics.py``).

Shared by the scorecard (``api/services/scorecard.py``) and the dashboard's summary
(``api/services/district_summary.py``) so the two pages state the same rule.
"""

from __future__ import annotations

from typing import Any

from api.services.read_models import DistrictPriorities
from api.web.messages import label

DEFAULT_LEVEL = 0.90  # the engine's default when a snapshot does not say


def rule_sentence(district: DistrictPriorities) -> dict[str, str]:
    """``{"zh": ..., "en": ...}``: how a sub-dimension gets a quadrant or "未定"."""
    level = district.level if district.level is not None else DEFAULT_LEVEL
    k = max(len(district.importance), 1)
    return {
        lang: words.format(level=f"{100 * level:g}", k=k)
        for lang, words in label("priority_rule").items()
    }


def importance_listing(district: DistrictPriorities, labels: Any) -> list[dict[str, Any]]:
    """Each sub-dimension's importance and interval, most important first; ``side`` is +1 /
    −1 when the interval lies above / below the equal share, 0 when it contains it."""
    cut = district.importance_cut
    out = []
    for code, value in district.importance.items():
        low, high = district.importance_low.get(code), district.importance_high.get(code)
        side = 0
        if cut is not None and low is not None and high is not None:
            side = 1 if low > cut else -1 if high < cut else 0
        out.append(
            {
                "code": code,
                "label": labels.subdimensions.get(code, {"zh": code, "en": code}),
                "importance": value,
                "importance_low": low,
                "importance_high": high,
                "side": side,
            }
        )
    out.sort(key=lambda r: -r["importance"])
    return out
