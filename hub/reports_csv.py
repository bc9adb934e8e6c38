"""A report as CSV, for spreadsheets: UTF-8 with a byte-order mark (so Excel reads Chinese names right) and one
section per figure: a title row, a header row, its rows, then an empty row. The sections: the period, the
summary (one figure a row), contacts per hour (a column per channel), the satisfaction distribution, the agents.

Durations are in seconds and rates are fractions (0.25), so a spreadsheet can compute with them; empty cells
are figures there is nothing to compute from. Headings are in English or Chinese. A text cell that starts
with = + - @ gets a leading apostrophe, so no agent's name runs as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from hub.reports import Report

Row = list[object]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "period": "Period", "from": "From", "to": "To (not included)", "tz": "Time zone",
        "summary": "Summary", "figure": "Figure", "value": "Value", "contacts": "Contacts",
        "handled": "Handled by agents", "aht": "Average handle time (s)", "held": "Put on hold",
        "aho": "Average hold (s)", "responded": "First responses measured",
        "frt": "Average first response (s)", "queued": "Queued", "abandoned": "Abandoned",
        "abandon_rate": "Abandon rate", "engaged": "Conversations where the customer wrote",
        "contained": "Contained by the bot", "containment_rate": "Bot containment rate", "rated": "Rated",
        "csat": "Average satisfaction (1-5)", "per_hour": "Contacts per hour", "hour": "Hour", "total": "Total",
        "webchat": "Web chat", "wechat": "WeChat", "email": "Email", "voice": "Voice",
        "distribution": "Satisfaction", "score": "Score", "conversations": "Conversations", "agents": "Agents",
        "agent": "Agent",
    },
    "zh": {
        "period": "统计周期", "from": "开始日期", "to": "结束日期（不含）", "tz": "时区",
        "summary": "汇总", "figure": "指标", "value": "数值", "contacts": "进线量",
        "handled": "人工处理量", "aht": "平均处理时长（秒）", "held": "保持过的会话",
        "aho": "平均保持时长（秒）", "responded": "首次响应统计数",
        "frt": "平均首次响应时长（秒）", "queued": "排队量", "abandoned": "放弃量",
        "abandon_rate": "放弃率", "engaged": "客户发过消息的会话",
        "contained": "机器人独立解决", "containment_rate": "机器人解决率", "rated": "评价数",
        "csat": "平均满意度（1-5）", "per_hour": "每小时进线量", "hour": "时段", "total": "合计",
        "webchat": "网页聊天", "wechat": "微信", "email": "邮件", "voice": "语音",
        "distribution": "满意度分布", "score": "评分", "conversations": "会话数", "agents": "坐席",
        "agent": "坐席",
    },
}
LANGUAGES = frozenset(LABELS)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _period(report: Report, t: dict[str, str]) -> list[Row]:
    return [[t["period"]], [t["from"], t["to"], t["tz"]], [report.from_, report.to, report.tz]]


def _summary(report: Report, t: dict[str, str]) -> list[Row]:
    r = report
    figures: list[tuple[str, object]] = [
        ("contacts", r.contacts), ("handled", r.handle_time.count), ("aht", r.handle_time.average_s),
        ("held", r.hold_time.count), ("aho", r.hold_time.average_s),
        ("responded", r.first_response.count), ("frt", r.first_response.average_s), ("queued", r.abandon.of),
        ("abandoned", r.abandon.count), ("abandon_rate", r.abandon.rate), ("engaged", r.containment.of),
        ("contained", r.containment.count), ("containment_rate", r.containment.rate),
        ("rated", r.satisfaction.rated), ("csat", r.satisfaction.average)]
    return [[t["summary"]], [t["figure"], t["value"]], *([t[key], value] for key, value in figures)]


def _per_hour(report: Report, t: dict[str, str]) -> list[Row]:
    rows: list[Row] = [[f"{h.hour:02d}:00", *(h.by_channel[ch] for ch in report.channels), h.total]
                       for h in report.contacts_per_hour]
    return [[t["per_hour"]], [t["hour"], *(t[ch] for ch in report.channels), t["total"]], *rows]


def _distribution(report: Report, t: dict[str, str]) -> list[Row]:
    rows: list[Row] = [[score, n] for score, n in report.satisfaction.distribution.items()]
    return [[t["distribution"]], [t["score"], t["conversations"]], *rows]


def _agents(report: Report, t: dict[str, str]) -> list[Row]:
    rows: list[Row] = [[a.name, a.handled, a.average_handle_s] for a in report.agents]
    return [[t["agents"]], [t["agent"], t["handled"], t["aht"]], *rows]


SECTIONS: list[Callable[[Report, dict[str, str]], list[Row]]] = [_period, _summary, _per_hour, _distribution,
                                                                  _agents]


def _write(rows: Iterable[Row]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


def report_csv(report: Report, lang: str = "en") -> bytes:
    labels = LABELS[lang]
    sections = [_write(section(report, labels)) for section in SECTIONS]
    return ("\ufeff" + "\r\n".join(sections)).encode()


def filename(report: Report) -> str:
    return f"report-{report.from_}-to-{report.to}.csv"
