"""Redaction of residents' comments: no phone, ID, e-mail or plate leaks; names ≥ 80 % caught."""

from __future__ import annotations

import re

from api.services.redaction import MASK, redact

# (comment, planted personal details that must not survive)
PHONES = ["13812345678", "139 1234 5678", "158-2233-4455", "028-85123456", "+86 13600001111"]
IDS = ["510104199001011234", "51010419850312567X", "110101200012310019"]
EMAILS = ["wang.li@163.com", "zhangsan_88@qq.com", "resident@example.cn"]
PLATES = ["川A12345", "川AD12345", "京B·8K2L9", "粤C 3F5G6"]
NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵丽华", "黄志强", "周杰", "吴敏"]
TEMPLATES = [
    "有事请打{p}找物业，一直没人接。",
    "我的电话是{p}，希望社区回个电话。",
    "身份证号{i}，办低保一直没批下来。",
    "邮箱{e}，请把活动通知发给我。",
    "车牌{c}的车天天堵在消防通道。",
    "{n}经常在楼道堆杂物，说了也不听。",
    "物业的{n}态度很差，报修三次都没来。",
    "感谢{n}帮我们修好了路灯。",
    "楼上{n}家半夜装修，吵得睡不着。",
    "住在3栋2单元501室，楼顶漏水好几个月了。",
    "5号楼1单元302的下水道堵了。",
    "张阿姨组织的广场舞声音太大。",
    "李书记答应的事一直没办。",
    "老王家的狗不拴绳。",
]
CLEAN = [
    "希望多安排一些老年人活动。",
    "晚上路灯太暗，走路不安全。",
    "垃圾分类做得不错，继续保持。",
    "停车位太少，希望规划一下。",
    "社区医院排队时间太长。",
    "小区绿化很好，感谢物业。",
]


def corpus() -> list[tuple[str, list[str]]]:
    items: list[tuple[str, list[str]]] = []
    for k in range(60):
        template = TEMPLATES[k % len(TEMPLATES)]
        values = {
            "p": PHONES[k % len(PHONES)],
            "i": IDS[k % len(IDS)],
            "e": EMAILS[k % len(EMAILS)],
            "c": PLATES[k % len(PLATES)],
            "n": NAMES[k % len(NAMES)],
        }
        planted = [v for key, v in values.items() if "{" + key + "}" in template]
        items.append((template.format(**values), planted))
    items += [(text, []) for text in CLEAN]
    return items


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_no_phone_id_email_or_plate_survives() -> None:
    leaks = []
    for text, planted in corpus():
        shown = redact(text)
        for value in planted:
            if value in NAMES:
                continue
            numeric = digits(value)
            if value in shown or (len(numeric) >= 7 and numeric in digits(shown)):
                leaks.append((text, shown))
    assert leaks == []


def test_names_are_caught_at_least_80_percent() -> None:
    named = [(t, p) for t, p in corpus() if any(v in NAMES for v in p)]
    caught = sum(all(v not in redact(t) for v in p) for t, p in named)
    assert len(named) >= 15 and caught / len(named) >= 0.8, (caught, len(named))


def test_addresses_titles_and_ordinary_text() -> None:
    assert "501" not in redact("住在3栋2单元501室，楼顶漏水")
    assert redact("张阿姨组织的广场舞") == f"{MASK}组织的广场舞"
    for text in CLEAN:  # nothing personal: shown as written
        assert redact(text) == text


def test_comments_wait_for_a_closed_wave_and_are_redacted(client: object) -> None:
    from fastapi.testclient import TestClient
    from sqlmodel import Session, select

    from api.services.comments import community_comments
    from survey.questionnaire.model import load_default
    from survey.storage.models import Community, Wave
    from survey.storage.responses import submit_response
    from tests.support.factories import complete_answers, new_client_id

    assert isinstance(client, TestClient)
    item = next(i.code for i in load_default().items if i.kind == "text")
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        for k in range(10):
            answers = dict(complete_answers(), **{item: f"请联系王建国，电话1381234567{k}"})
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=answers,
            )
        wave = session.exec(select(Wave)).one()
        c1 = session.exec(select(Community).where(Community.code == "C1")).one()
        fresh = community_comments(
            session=session, wave=wave, community=c1, item=item, delay_days=14
        )
        assert fresh["shown"] is False  # an open wave, comments younger than the delay
        wave.status = "closed"
        session.add(wave)
        session.commit()
        closed = community_comments(
            session=session, wave=wave, community=c1, item=item, delay_days=14
        )
    assert closed["shown"] is True and len(closed["comments"]) == 10
    assert all("1381234567" not in c and "王建国" not in c for c in closed["comments"])
    assert all(MASK in c for c in closed["comments"])
