"""Officials' pages: content, language, scope, print style, batch export, and an XSS corpus
rendered on every page (names of communities and streets, residents' comments)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli.main import main as meihao
from api.settings import Settings, get_settings
from tests.support.officials_district import (
    COMMENTS_SHOWN,
    COMMUNITY_OFFICIAL_OF,
    LAST,
    SUPPRESSED,
    SUPPRESSED_STREET,
    XSS_COMMUNITY,
    XSS_STREET,
    sign_in,
)

OK_COMMUNITY = "CH02-001"
PAGES = [
    f"/waves/{LAST}",
    f"/waves/{LAST}?street={XSS_STREET}",
    f"/waves/{LAST}/communities/{OK_COMMUNITY}",
    f"/waves/{LAST}/communities/{COMMENTS_SHOWN}",
    f"/waves/{LAST}/communities/{SUPPRESSED}",
    f"/waves/{LAST}/communities/{XSS_COMMUNITY}",
    f"/waves/{LAST}/streets/{XSS_STREET}",
    f"/waves/{LAST}/streets/{SUPPRESSED_STREET}",
    "/trends",
    f"/trends/communities/{XSS_COMMUNITY}",
    f"/trends/streets/{XSS_STREET}",
    "/",
]
TAG_WITH_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.I)
JS_URL_IN_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*=\s*[\"']?\s*javascript:", re.I)


@pytest.fixture
def admin(officials_client: TestClient) -> TestClient:
    return sign_in(officials_client, "admin")


def page(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xss_corpus_is_escaped_on_every_page(admin: TestClient, lang: str) -> None:
    seen_name = seen_comment = False
    for url in PAGES:
        html = page(admin, url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert "<script" not in html.lower(), url  # the officials' pages have no script at all
        assert "<iframe" not in html.lower() and "<img" not in html.lower(), url
        assert not TAG_WITH_HANDLER.search(html), (url, TAG_WITH_HANDLER.search(html))
        assert not JS_URL_IN_ATTRIBUTE.search(html), url
        seen_name |= "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;和谐" in html
        seen_comment |= "&lt;svg/onload=alert(&#39;美好&#39;)&gt;" in html
    assert seen_name and seen_comment  # the payloads were really on the pages, as text


def test_pages_are_chinese_by_default_and_english_on_request(admin: TestClient) -> None:
    zh = page(admin, f"/waves/{LAST}")
    assert '<html lang="zh-CN">' in zh and "区级总览" in zh and "社区排名" in zh
    en = admin.get(f"/waves/{LAST}?lang=en")
    assert "District dashboard" in en.text and '<html lang="en">' in en.text
    assert "meihao_lang=en" in en.headers["set-cookie"]
    remembered = page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}")
    assert "Community scorecard" in remembered and "Improve first" in remembered
    back = page(admin, "/trends?lang=zh")
    assert "趋势报告" in back


def test_scorecard_page_answers_the_four_questions(admin: TestClient) -> None:
    sc = admin.get(f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard").json()
    html = page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}")
    rank = sc["rank"]
    assert f"第 {rank['rank']} 名 / 共 {rank['of']} 个社区" in html
    if rank["rank_low"] != rank["rank_high"]:
        assert f"第 {rank['rank_low']}–{rank['rank_high']} 名之间" in html
    assert f"{sc['overall']['score']:.1f}" in html
    assert f"({sc['overall']['ci_low']:.1f}–{sc['overall']['ci_high']:.1f})" in html
    assert sc["change"]["label_text"]["zh"] in html  # what changed
    assert "街道平均" in html and "全区平均" in html and "同类型小区平均" in html  # with whom
    assert "重点改进" in html  # what to fix first
    for chart_id in ("dims", "trend", "ipa"):
        assert f'id="{chart_id}" role="img"' in html
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in html
    assert html.count('<details class="chart-data">') == 3  # a data table per chart
    assert "调查轮次 2026Q2" in html and "equal v1" in html and "90% 置信区间" in html
    assert "谁参与了调查" in html and "人口占比" in html


def test_dashboard_ranking_table_dot_plot_and_street_filter(admin: TestClient) -> None:
    rows = admin.get(f"/api/v1/waves/{LAST}/rankings").json()["communities"]
    html = page(admin, f"/waves/{LAST}")
    assert html.count(f"/waves/{LAST}/communities/") >= len(rows)
    assert 'id="ranking" role="img"' in html and 'id="distribution" role="img"' in html
    assert "街道排名" in html and "显著提升的社区" in html and "最常见的重点改进项" in html
    one = page(admin, f"/waves/{LAST}?street=CH01")
    names = [r["name"] for r in rows]
    ch01 = [r["name"] for r in rows if r["street"] == "CH01"]
    assert all(n in one for n in ch01)
    assert not any(n in one.split("街道排名")[0] for n in names if n not in ch01)


def test_street_and_trend_pages(admin: TestClient) -> None:
    street = page(admin, f"/waves/{LAST}/streets/{SUPPRESSED_STREET}")
    assert "第 " in street and "个街道" in street and "按有效样本量加权" in street
    assert "样本不足" in street  # its suppressed community is listed, without figures
    trends = page(admin, "/trends")
    for wave in ("2025Q2", "2025Q4", LAST):
        assert wave in trends
    assert 'id="trend" role="img"' in trends
    community = page(admin, f"/trends/communities/{SUPPRESSED}")
    assert "样本不足" in community


def test_pages_need_sign_in_and_respect_scope(officials_client: TestClient) -> None:
    anonymous = officials_client.get(f"/waves/{LAST}", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    client = sign_in(officials_client, "community")
    own = page(client, f"/waves/{LAST}/communities/{COMMUNITY_OFFICIAL_OF}")
    assert "街道平均" in own
    assert client.get(f"/waves/{LAST}/communities/{OK_COMMUNITY}").status_code == 404
    assert client.get(f"/waves/{LAST}/streets/CH01").status_code == 404
    dashboard = page(client, f"/waves/{LAST}")
    linked = set(re.findall(rf"/waves/{LAST}/communities/([^\"?]+)", dashboard))
    assert linked == {COMMUNITY_OFFICIAL_OF}
    assert "/streets/" not in dashboard  # no street page links for a community official


def test_security_headers_and_print_style(admin: TestClient) -> None:
    response = admin.get(f"/waves/{LAST}")
    csp = response.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "default-src 'self'" in csp
    assert 'href="http://testserver/static/official.css"' in response.text
    css = admin.get("/static/official.css").text
    assert "@page { size: A4" in css and "@media print" in css
    assert "http" not in css and "@import" not in css and "url(" not in css


def test_home_links_the_dashboards(officials_client: TestClient) -> None:
    html = page(officials_client, "/")
    assert f'href="/waves/{LAST}"' in html and 'href="/trends"' in html


def test_batch_export_writes_every_scorecard(
    officials_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEIHAO_DATABASE_URL", officials_settings.database_url)
    get_settings.cache_clear()
    try:
        out = tmp_path / "cards"
        assert meihao(["scorecards", "--wave", LAST, "--out", str(out)]) == 0
    finally:
        get_settings.cache_clear()
    files = sorted(out.glob("*.html"))
    assert len(files) == 12
    assert (out / "official.css").exists() and (out / "meihao.css").exists()
    html = (out / f"{LAST}-{OK_COMMUNITY}.html").read_text(encoding="utf-8")
    assert 'href="official.css"' in html and "第 " in html and "<nav" not in html
    suppressed = (out / f"{LAST}-{SUPPRESSED}.html").read_text(encoding="utf-8")
    assert "样本不足" in suppressed
    xss = (out / f"{LAST}-{XSS_COMMUNITY}.html").read_text(encoding="utf-8")
    assert "<script" not in xss and "&lt;script&gt;" in xss


HOUSING_ZH = (
    "商品房小区",
    "老旧院落/企业职工生活区",
    "安置小区",
    "保障性住房/人才公寓",
    "自建房/城中村",
)
ZH_SPAN = re.compile(r'<span lang="zh-CN">[^<]*</span>')


def test_english_pages_name_grades_and_housing_types_in_english(admin: TestClient) -> None:
    sc = admin.get(f"/api/v1/waves/{LAST}/communities/{OK_COMMUNITY}/scorecard").json()
    housing = sc["community"]["housing_type"]
    assert housing in HOUSING_ZH  # the JSON API keeps the registry's Chinese name
    grades = {"优": "Excellent", "良": "Good", "中": "Fair", "差": "Poor"}
    for url in (f"/waves/{LAST}", f"/waves/{LAST}/communities/{OK_COMMUNITY}"):
        en = page(admin, url + "?lang=en")
        shown = {g for g in grades if f'<span lang="zh-CN">{g}</span> {grades[g]}</span>' in en}
        assert shown, url  # a grade badge: the character (marked as Chinese) and its name
        outside_zh = ZH_SPAN.sub("", en)
        assert not any(h in outside_zh for h in HOUSING_ZH), url
        zh = page(admin, url + "?lang=zh")
        assert not any(name in zh for name in grades.values()), url
    scorecard = page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}?lang=en")
    english = {
        "商品房小区": "Commercial estate",
        "老旧院落/企业职工生活区": "Old estate / former work-unit housing",
        "安置小区": "Resettlement estate",
        "保障性住房/人才公寓": "Affordable / talent housing",
        "自建房/城中村": "Self-built / urban village",
    }
    assert f"Housing type: {english[housing]}" in scorecard
    assert housing in page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}?lang=zh")
    for zh_label in (
        "显著提升",
        "基本持平",
        "显著下降",
        "重点改进",
        "继续保持",
        "次要改进",
        "可能过度",
    ):
        assert zh_label not in scorecard  # change and quadrant labels are English too


def test_trend_pages_link_back_to_the_dashboard(admin: TestClient) -> None:
    back = f'<a href="/waves/{LAST}">'
    for url in ("/trends", f"/trends/communities/{OK_COMMUNITY}", f"/trends/streets/{XSS_STREET}"):
        html = page(admin, url)
        assert back in html and "返回全区总览" in html, url
    assert "Back to the district dashboard" in page(admin, "/trends?lang=en")
    assert 'href="/trends"' in page(admin, f"/waves/{LAST}")  # and the dashboard links to trends


def test_chart_data_tables_print_expanded(admin: TestClient) -> None:
    html = page(admin, f"/waves/{LAST}/communities/{OK_COMMUNITY}")
    assert html.count('<div class="chart-data-print">') == html.count(
        '<details class="chart-data">'
    )
    css = admin.get("/static/official.css").text
    on_paper = css[css.index("@media print") :]
    assert re.search(r"details\.chart-data\s*\{\s*display:\s*none", on_paper)
    assert re.search(r"\.chart-data-print\s*\{\s*display:\s*block", on_paper)
    on_screen = css[: css.index("@media print")]
    assert re.search(r"\.chart-data-print\s*\{\s*display:\s*none", on_screen)
