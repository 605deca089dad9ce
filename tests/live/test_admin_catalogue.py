"""The administration's catalogue, staff, devices and notices in Chromium against a real
`hallq serve`: an item edited in the browser shows on the kiosk and a withdrawn one is gone
from it; an import is all or nothing; the XLSX download imports again with nothing added; a
supervisor reads the pages and is refused a change; an account added in the browser (a weak
password refused, saying why) logs in and first replaces the password the manager gave it;
a device token issued in the browser works until it is revoked; a kiosk and a keypad pair from
the devices page with a code, with no command line.

The live hall is shared with the other modules: this module's items are TEST-ADMIN-*, its
accounts admin_*, its device token K2's newest; it withdraws its items when done."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.live.conftest import log_in
from tests.live.test_kiosk import open_item, open_kiosk

pytestmark = pytest.mark.browser

SUPERVISOR = "admin_supervisor"
ITEM = "TEST-ADMIN-1"
NAME = "测试管理事项"
DEPARTMENT = "青山县民政局"
HEADER = (
    "事项编码,事项名称,英文名称,部门,队列,办件类型,法定时限,承诺时限,服务对象,设立依据,申报材料,办理条件,办理流程,"
    "收费标准,收费依据,窗口权限,主题,关键词,英文服务对象,英文设立依据,英文申报材料,英文办理条件,英文办理流程,"
    "英文收费标准,英文收费依据,英文窗口权限"
)


@pytest.fixture(scope="module")
def hall(live):
    live.hallq("user", "add", SUPERVISOR, "--role", "supervisor", "--password-stdin", input="password-123\n")
    yield live
    for item in live.api("GET", "/catalogue/items?q=TEST-ADMIN", "manager").json():
        if item["active"]:
            live.api("PUT", f"/catalogue/items/{item['code']}/active", "manager", json={"active": False})


def log_in_en(page, url: str, path: str, username: str = "manager") -> None:
    """Logged in, in English (the session's choice), so that the labels stay these words
    whatever the Chinese translation makes of them."""
    log_in(page, url, path, username)
    page.goto(f"{url}/lang/en?next={path}")
    expect(page).to_have_url(f"{url}{path}")


def toast(page):
    return page.get_by_test_id("toast")


def add_item(page, url: str) -> None:
    page.goto(f"{url}/manager/admin/items/new")
    form = page.get_by_test_id("item-form")
    form.get_by_label("Code").fill(ITEM)
    form.get_by_label("Name", exact=True).fill(NAME)
    form.get_by_label("Department").select_option(label=DEPARTMENT)
    form.get_by_label("Queue").select_option("C")
    form.get_by_label("Kind").select_option("commitment")
    form.get_by_label("Legal time limit").fill("20")
    form.get_by_label("Promised time limit").fill("5")
    form.get_by_label("Legal basis").fill("《测试条例》第一条")
    form.get_by_label("Materials").fill("身份证原件")
    form.get_by_label("Procedure").fill("受理\n审核\n办结")
    form.get_by_role("button", name="Save").click()
    expect(toast(page)).to_have_text(re.compile("Saved."))


def test_an_item_edited_in_the_browser_shows_on_the_kiosk_until_withdrawn(hall, page, browser):
    log_in_en(page, hall.url, "/manager/admin/items")
    add_item(page, hall.url)
    page.goto(f"{hall.url}/manager/admin/items?q=TEST-ADMIN-1")
    page.get_by_role("link", name=NAME).click()
    materials = page.get_by_test_id("item-form").get_by_label("Materials")
    expect(materials).to_have_value("身份证原件")
    materials.fill("身份证原件\n  户口簿原件\n\n结婚证复印件一份")
    page.get_by_test_id("item-form").get_by_role("button", name="Save").click()
    expect(toast(page)).to_have_text(re.compile("Saved."))

    context, kiosk = open_kiosk(browser, hall.url, hall.tokens["K1"])
    try:
        open_item(kiosk, DEPARTMENT, NAME)
        expect(kiosk.locator(".checklist li")).to_have_text(["身份证原件", "户口簿原件", "结婚证复印件一份"])

        page.on("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("item-active-form").get_by_role("button", name="Withdraw from the kiosks").click()
        expect(toast(page)).to_have_text(re.compile(f"Withdrawn: the kiosks no longer show {NAME}"))
        kiosk.reload()
        kiosk.locator(".departments .tile", has_text=DEPARTMENT).tap()
        expect(kiosk.locator(".list .item").first).to_be_visible()
        expect(kiosk.locator(".list .item", has_text=NAME)).to_have_count(0)

        toast(page).get_by_role("button", name="Undo").click()
        expect(toast(page)).to_have_text(re.compile("Undone."))
        kiosk.reload()
        open_item(kiosk, DEPARTMENT, NAME)
        expect(kiosk.locator(".detail h2.title")).to_have_text(NAME)
    finally:
        context.close()


def test_a_bad_import_names_its_rows_and_imports_nothing_a_good_one_adds(hall, page, tmp_path: Path):
    good = "TEST-ADMIN-2,测试导入事项二,,MZ,C,即办件,,,,依据,材料,,流程,,,,"
    bad = [
        "TEST-ADMIN-3,测试导入事项三,,NOPE,C,即办件,,,,依据,材料,,流程,,,,",
        "TEST-ADMIN-4,测试导入事项四,,MZ,C,承诺件,,,,依据,材料,,流程,,,,",
    ]
    (tmp_path / "bad.csv").write_text("\n".join([HEADER, good, *bad]), encoding="utf-8")
    (tmp_path / "good.csv").write_text("\n".join([HEADER, good]), encoding="utf-8")
    log_in_en(page, hall.url, "/manager/admin/items")
    form = page.get_by_test_id("import-form")
    form.locator("input[type=file]").set_input_files(tmp_path / "bad.csv")
    form.get_by_role("button", name="Import").click()
    expect(toast(page)).to_contain_text("bad.csv: nothing was imported, 2 problem(s)")
    expect(page.get_by_test_id("problems").locator("li")).to_have_text(
        [
            'bad.csv: line 3 (TEST-ADMIN-3): 部门: unknown department "NOPE"',
            "bad.csv: line 4 (TEST-ADMIN-4): a commitment item (承诺件) needs a promised time limit in working days",
        ]
    )
    page.goto(f"{hall.url}/manager/admin/items?q=测试导入")
    expect(page.get_by_test_id("items").locator("tbody tr")).to_have_count(0)

    page.get_by_test_id("import-form").locator("input[type=file]").set_input_files(tmp_path / "good.csv")
    page.get_by_test_id("import-form").get_by_role("button", name="Import").click()
    expect(toast(page)).to_have_text(re.compile("Imported: 1 items added, 0 updated."))
    page.reload()
    expect(page.get_by_test_id("items").locator("tbody tr")).to_have_text([re.compile("TEST-ADMIN-2")])


def test_the_xlsx_download_opens_and_imports_again_with_nothing_added(hall, page, tmp_path: Path):
    log_in_en(page, hall.url, "/manager/admin/items")
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    path = tmp_path / "catalog.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADER.split(",")
    codes = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert "GA001" in codes and len(codes) >= 76

    page.get_by_test_id("import-form").locator("input[type=file]").set_input_files(path)
    page.get_by_test_id("import-form").get_by_role("button", name="Import").click()
    expect(toast(page)).to_have_text(re.compile(f"Imported: 0 items added, {len(codes)} updated."))


def test_a_supervisor_reads_the_rooms_and_the_api_refuses_their_change(hall, page):
    log_in_en(page, hall.url, "/manager/admin/items/GA001", username=SUPERVISOR)
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("item-form").get_by_label("Materials")).not_to_have_value("")
    expect(page.get_by_role("button", name="Save")).to_be_hidden()
    expect(page.get_by_test_id("item-active-form")).to_have_count(0)
    for path in ("/manager/admin/staff", "/manager/admin/devices", "/manager/admin/notices"):
        page.goto(f"{hall.url}{path}")
        expect(page.get_by_test_id("read-only")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("Save|Issue|Revoke|Post|Add"))).to_have_count(0)
    refused = page.evaluate(
        """async () => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const answer = await fetch('/api/v1/catalogue/items/GA001/active', {
                method: 'PUT', headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                body: JSON.stringify({active: false})});
            return [answer.status, (await answer.json()).message];
        }"""
    )
    assert refused[0] == 403 and "not allowed for supervisor" in refused[1]


def test_an_account_added_in_the_browser_logs_in_and_nobody_locks_themselves_out(hall, page, browser):
    log_in_en(page, hall.url, "/manager/admin/staff")
    form = page.get_by_test_id("staff-form")
    # Roles by what they are, not by their identifiers.
    expect(form.locator("select[name=role] option").first).to_have_text("Clerk at a window")
    form.get_by_label("Username").fill("admin_new_clerk")
    form.get_by_label("Name", exact=True).fill("测试员")
    form.get_by_label("Badge").fill("T0001")
    form.get_by_label("Password").fill("12345678")
    form.get_by_role("button", name="Add").click()
    expect(toast(page)).to_contain_text("the password is too weak")
    expect(page.get_by_test_id("problems")).to_contain_text("not a commonly used password")
    expect(page.get_by_test_id("problems")).to_contain_text("at least 3 of: lower case letters")
    form.get_by_label("Password").fill("password-123")
    form.get_by_role("button", name="Add").click()
    row = page.locator("tr[data-username=admin_new_clerk]")
    expect(row.get_by_label("Name of admin_new_clerk")).to_have_value("测试员")

    own = page.locator("tr[data-username=manager]")
    own.get_by_label("active").uncheck()
    own.get_by_role("button", name="Save").click()
    expect(toast(page)).to_contain_text("You cannot deactivate your own account or change your own role.")

    # The password the manager chose is the clerk's to replace before anything else.
    context = browser.new_context(locale="en-US")
    try:
        clerk = context.new_page()
        clerk.set_default_timeout(10_000)
        clerk.goto(f"{hall.url}/panel/")
        clerk.get_by_label("用户名").fill("admin_new_clerk")
        clerk.get_by_label("密码").fill("password-123")
        clerk.get_by_role("button", name="登录").click()
        expect(clerk).to_have_url(f"{hall.url}/password?next=/panel/")
        expect(clerk.get_by_test_id("must-change")).to_contain_text("您的密码由他人设置")
        clerk.get_by_label("当前密码").fill("password-123")
        clerk.get_by_label("新密码", exact=True).fill("Clerk-chosen-7")
        clerk.get_by_label("再次输入新密码").fill("Clerk-chosen-7")
        clerk.get_by_role("button", name="修改密码").click()
        expect(clerk).to_have_url(f"{hall.url}/panel/")
        expect(clerk.locator("p.flash")).to_contain_text("密码已修改")
    finally:
        context.close()


def test_a_device_token_issued_in_the_browser_works_until_revoked(hall, page):
    log_in_en(page, hall.url, "/manager/admin/devices")
    row = page.locator("tr[data-device=K2]")
    expect(row).to_contain_text("kiosk")
    row.get_by_role("button", name="Issue a new token").click()
    expect(toast(page)).to_contain_text("shown only once")
    issued = page.get_by_test_id("issued")
    token = issued.locator("code").inner_text()
    expect(page.get_by_test_id("issued-url")).to_have_text(f"{hall.url}/kiosk/K2?token={token}")
    hall.tokens["K2 from the browser"] = token
    assert hall.api("GET", "/printers", "K2 from the browser").status_code == 200

    page.reload()
    page.on("dialog", lambda dialog: dialog.accept())
    newest = page.locator("tr[data-device=K2] [data-token]").first
    newest.get_by_role("button", name="Revoke").click()
    expect(page.locator("tr[data-device=K2] [data-token]").first).to_contain_text("revoked")
    assert hall.api("GET", "/printers", "K2 from the browser").status_code == 401


def test_a_notice_posted_in_the_browser_is_listed_until_withdrawn(hall, page):
    log_in_en(page, hall.url, "/manager/admin/notices")
    form = page.get_by_test_id("notice-form")
    form.get_by_label("Title").fill("测试通知")
    form.get_by_label("Text").fill("管理页面发布的通知")
    form.get_by_label("Minutes shown").fill("30")
    form.get_by_role("button", name="Post").click()
    row = page.get_by_test_id("notices").locator("tr", has_text="测试通知")
    expect(row).to_contain_text("管理页面发布的通知")
    assert any(n["title"] == "测试通知" for n in hall.api("GET", "/notices").json())
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Withdraw").click()
    expect(row).to_have_count(0)
    assert all(n["title"] != "测试通知" for n in hall.api("GET", "/notices").json())


@pytest.mark.parametrize(("device", "page_path", "storage_key"), [
    ("K1", "/kiosk/K1", "hallq.kiosk.K1.token"),
    ("P3", "/keypad/3", "hallq.keypad.3.token"),
])  # fmt: skip
def test_a_device_pairs_from_the_devices_page_with_no_command_line(
    hall, page, browser, device, page_path, storage_key
):
    log_in_en(page, hall.url, "/manager/admin/devices")
    page.locator(f"tr[data-device={device}]").get_by_role("button", name="Pair").click()
    expect(toast(page)).to_contain_text("valid for 10 minutes")
    code = page.get_by_test_id("pairing-code").inner_text()
    assert re.fullmatch(r"\d{6}", code)
    expect(page.get_by_test_id("paired").locator("img")).to_have_attribute(
        "src", re.compile("^data:image/svg")
    )

    screen = browser.new_context(locale="zh-CN").new_page()  # the device's own browser
    try:
        screen.goto(f"{hall.url}/pair")
        screen.get_by_test_id("pair-code").fill("000000" if code != "000000" else "111111")
        screen.get_by_test_id("pair-submit").click()
        expect(screen.get_by_test_id("pair-problem")).to_contain_text("配对码")  # wrong: said in Chinese
        screen.get_by_test_id("pair-code").fill(code)
        screen.get_by_test_id("pair-submit").click()
        expect(screen).to_have_url(
            f"{hall.url}{page_path}"
        )  # its page, the token kept and out of the address
        token = screen.evaluate(f"localStorage.getItem({storage_key!r})")
        assert token
        hall.tokens[f"{device} paired"] = token
        if device == "K1":
            printers = hall.api("GET", "/printers", f"{device} paired").json()
            assert {p["kiosk"] for p in printers} == {"K1"}
        else:
            assert (
                hall.api("GET", "/printers", f"{device} paired").status_code == 403
            )  # a keypad, not a kiosk
        # Single-use: the same code again is refused.
        screen.goto(f"{hall.url}/pair?code={code}")
        screen.get_by_test_id("pair-submit").click()
        expect(screen.get_by_test_id("pair-problem")).to_be_visible()
    finally:
        screen.context.close()
    entries = hall.api("GET", "/audit?action=api.pair", "manager").json()
    assert any(e["detail"].get("device") == device for e in entries)
    assert all(code not in str(e["detail"]) for e in entries)
