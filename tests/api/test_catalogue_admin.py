"""The catalogue as its managers keep it: one item edited, withdrawn and published again; a
file imported all or nothing; the export imports again unchanged."""

from __future__ import annotations

import io

from openpyxl import load_workbook

NEW_ITEM = {
    "name": "测试事项",
    "department": "MZ",
    "queue": "C",
    "kind": "commitment",
    "legal_limit_days": 20,
    "promised_limit_days": 5,
    "basis": ["《测试条例》第一条"],
    "materials": ["身份证原件", "申请表"],
    "procedure": ["受理", "办结"],
    "topics": ["婚姻"],
}


def kiosk_finds(api, name: str) -> bool:
    return any(i["name"] == name for i in api.get(f"/items?q={name}").get_json())


def test_an_item_is_added_edited_withdrawn_and_published_again(api):
    saved = api.request("PUT", "/catalogue/items/TEST-1", "manager", NEW_ITEM)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["active"] and kiosk_finds(api, "测试事项")

    edited = api.request("PUT", "/catalogue/items/TEST-1", "admin", {**NEW_ITEM, "materials": ["户口簿"]})
    assert edited.get_json()["materials"] == ["户口簿"]
    [item] = [i for i in api.get("/items?q=测试事项").get_json()]
    assert api.get(f"/items/{item['id']}").get_json()["materials"] == ["户口簿"]

    withdrawn = api.request("PUT", "/catalogue/items/TEST-1/active", "manager", {"active": False})
    assert withdrawn.get_json()["active"] is False
    assert not kiosk_finds(api, "测试事项") and api.get(f"/items/{item['id']}").status_code == 404
    listed = api.get("/catalogue/items?q=测试", "supervisor").get_json()
    assert [(i["code"], i["active"]) for i in listed] == [("TEST-1", False)]
    # Editing a withdrawn item does not publish it; publishing does.
    api.request("PUT", "/catalogue/items/TEST-1", "manager", NEW_ITEM)
    assert not kiosk_finds(api, "测试事项")
    api.request("PUT", "/catalogue/items/TEST-1/active", "manager", {"active": True})
    assert kiosk_finds(api, "测试事项")


def test_bad_items_and_readers_are_refused(api):
    instant = api.request("PUT", "/catalogue/items/TEST-2", "manager", {**NEW_ITEM, "kind": "instant"})
    assert instant.status_code == 422
    assert "instant item" in instant.get_json()["message"]
    unknown = api.request("PUT", "/catalogue/items/TEST-2", "manager", {**NEW_ITEM, "queue": "Z"})
    assert unknown.status_code == 404 and unknown.get_json()["message"] == 'item TEST-2: unknown queue "Z"'
    assert api.request("PUT", "/catalogue/items/bad code!", "manager", NEW_ITEM).status_code == 422
    assert api.request("PUT", "/catalogue/items/TEST-2", "supervisor", NEW_ITEM).status_code == 403
    assert api.request("PUT", "/catalogue/items/GA001/active", "clerk1", {"active": False}).status_code == 403
    assert api.get("/catalogue/items", "clerk1").status_code == 403
    missing = api.request("PUT", "/catalogue/items/NOPE/active", "manager", {"active": False})
    assert missing.status_code == 404


def upload(api, name: str, data: bytes, who: str = "manager"):
    return api.post("/catalogue/import", who, data={"file": (io.BytesIO(data), name)})


def test_the_export_imports_again_unchanged(api):
    listed = api.get("/catalogue/items", "manager").get_json()
    for file_format in ("csv", "xlsx"):
        exported = api.get(f"/catalogue/export?format={file_format}", "supervisor")
        assert exported.status_code == 200
        assert f"catalog.{file_format}" in exported.headers["Content-Disposition"]
        imported = upload(api, f"catalog.{file_format}", exported.data)
        assert imported.get_json() == {"added": 0, "updated": len(listed)}
    assert api.get("/catalogue/items", "manager").get_json() == listed
    sheet = load_workbook(io.BytesIO(api.get("/catalogue/export", "manager").data)).worksheets[0]
    assert sheet.max_row == len(listed) + 1 and sheet["A1"].value == "事项编码"


def test_a_bad_file_imports_nothing_and_names_every_bad_row(api):
    exported = api.get("/catalogue/export?format=csv", "manager").data.decode("utf-8-sig")
    header = exported.splitlines()[0]
    rows = [
        header,
        "NEW-1,新事项一,,MZ,C,即办件,,,,依据,材料,,流程,,,,",
        "NEW-2,新事项二,,NOPE,C,即办件,,,,依据,材料,,流程,,,,",
        "NEW-3,新事项三,,MZ,C,每周件,,,,依据,材料,,流程,,,,",
    ]
    refused = upload(api, "bad.csv", "\n".join(rows).encode())
    assert refused.status_code == 422
    problems = refused.get_json()["problems"]
    assert problems[0] == 'bad.csv: line 3 (NEW-2): 部门: unknown department "NOPE"'
    assert problems[1].startswith("bad.csv: line 4 (NEW-3): 办件类型:")
    assert refused.get_json()["message"] == "bad.csv: nothing was imported, 2 problem(s)"
    assert api.get("/catalogue/items?q=NEW-", "manager").get_json() == []

    good = upload(api, "good.csv", "\n".join(rows[:2]).encode())
    assert good.get_json() == {"added": 1, "updated": 0} and kiosk_finds(api, "新事项一")
    assert upload(api, "catalog.txt", b"x").status_code == 422
    assert api.post("/catalogue/import", "manager").status_code == 422
    assert upload(api, "good.csv", b"x", who="supervisor").status_code == 403


def test_the_english_of_an_item_a_department_and_a_window_reaches_the_kiosk_and_the_export(api):
    english = {
        **NEW_ITEM,
        "name_en": "Test service",
        "applicant_en": "Individuals",
        "materials_en": "Original resident ID card\nApplication form",  # one per line, as a file has it
        "fees_en": "Free of charge",
    }
    assert api.request("PUT", "/catalogue/items/TEST-EN", "manager", english).status_code == 200
    [item] = api.get("/items?q=测试事项").get_json()
    shown = api.get(f"/items/{item['id']}").get_json()
    assert (shown["name_en"], shown["applicant_en"], shown["fees_en"]) == (
        "Test service",
        "Individuals",
        "Free of charge",
    )
    assert shown["materials_en"] == ["Original resident ID card", "Application form"]
    assert (
        shown["procedure_en"] == [] and shown["department_name_en"] == "Qingshan County Civil Affairs Bureau"
    )
    assert {"number": 4, "name": "4号婚姻登记窗口", "name_en": "Marriage Registration"} in shown["windows"]

    renamed = api.request(
        "PUT", "/departments/MZ", "manager", {"name": "青山县民政局", "name_en": "Civil Affairs"}
    )
    assert renamed.status_code == 200, renamed.get_json()
    assert {"code": "MZ", "name": "青山县民政局", "name_en": "Civil Affairs", "items": 10} in api.get(
        "/departments"
    ).get_json()

    exported = api.get("/catalogue/export?format=xlsx", "manager")
    sheet = load_workbook(io.BytesIO(exported.data)).worksheets[0]  # its one sheet
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "TEST-EN")
    assert row[header.index("英文申报材料")] == "Original resident ID card\nApplication form"
    assert row[header.index("英文服务对象")] == "Individuals"
