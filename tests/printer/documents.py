"""The ticket and notice the printer tests print: a real item of the demo catalogue."""

from __future__ import annotations

from printer_driver import PrinterSettings, lay_out, load_layout, renderer_for
from printer_driver.layout import FieldValue
from printer_driver.render import Rendered

PHONE_URL = "http://192.168.10.2:5000/t/q7Hk2mWx9PaL"

TICKET: dict[str, FieldValue] = {
    "hall_name": "青山县政务服务中心",
    "number": "A012",
    "queue_name": "户籍业务",
    "item_name": "居民身份证申领（首次申领、换领、补领）",
    "ahead": 7,
    "issued_at": "2026-11-23 09:05",
    "windows": "1、2、16号窗口",
    "phone_url": PHONE_URL,
    "kiosk_name": "大厅入口取号机",
    "priority": "",
    "reprint": "",
}

NOTICE: dict[str, FieldValue] = {
    "hall_name": "青山县政务服务中心",
    "item_name": "居民身份证申领（首次申领、换领、补领）",
    "department": "县公安局",
    "time_limit": "承诺15个工作日办结（法定60个工作日）",
    "fees": "首次申领、到期换领：20元/证；丢失补领、损坏换领：40元/证",
    "windows": "1、2、16号窗口",
    "issued_at": "2026-11-23 09:05",
    "reprint": "",
    "conditions": ["本县常住户口居民", "年满16周岁应当申领；未满16周岁的，由监护人代为申领"],
    "materials": [
        "居民户口簿原件",
        "近期免冠彩色照片（可现场采集）",
        "换领、补领的，交回原证或提供遗失说明",
        "未满16周岁的，监护人的居民身份证原件及监护关系证明",
    ],
}


def render(kind: str, settings: PrinterSettings, fields: dict | None = None) -> Rendered:
    layout = load_layout()
    values = fields if fields is not None else (TICKET if kind == "ticket" else NOTICE)
    return renderer_for(settings).render(lay_out(layout.blocks(kind), values, settings.columns))
