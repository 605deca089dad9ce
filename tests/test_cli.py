"""The hallq command, end to end on a real SQLite file."""

import shutil

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from hallq.cli import main
from tests.conftest import DEMO_CONFIG


@pytest.fixture
def hallq(tmp_path, monkeypatch):
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    monkeypatch.setenv("HALLQ_CONFIG", str(config))
    monkeypatch.setenv("HALLQ_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "cli-test")
    runner = CliRunner()

    def run(*args: str, input: str | None = None, ok: bool = True):
        result = runner.invoke(main, list(args), input=input)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    run.config = config  # type: ignore[attr-defined]  # the tests' own: the runner's config folder
    return run


def test_check_config_reports_ok_and_problems(hallq):
    assert (
        "OK: 青山县政务服务中心, 15 departments, 8 queues, 16 windows, 2 kiosks, 76 service items"
        in hallq("check-config")
    )
    hall = hallq.config / "hall.toml"
    hall.write_text(
        hall.read_text(encoding="utf-8").replace('queues = ["G"]', 'queues = ["Z"]', 1), encoding="utf-8"
    )
    output = hallq("check-config", str(hallq.config), ok=False)
    assert 'hall.toml: window 12: serves unknown queue "Z"' in output


def test_commands_before_init_say_to_run_init(hallq):
    assert "is not set up: run `hallq init`" in hallq("token", "issue", "--device", "K1", ok=False)


def test_init_users_and_tokens(hallq):
    assert "catalogue: 76 items added, 0 updated" in hallq("init")
    assert "catalogue: 0 items added, 76 updated" in hallq("init")  # idempotent
    assert "clerk wang saved" in hallq(
        "user",
        "add",
        "wang",
        "--role",
        "clerk",
        "--name",
        "王芳",
        "--badge",
        "1001",
        "--password-stdin",
        input="correct-horse-9\n",
    )
    assert "at least 8 characters" in hallq(
        "user", "add", "li", "--role", "guide", "--password-stdin", input="short\n", ok=False
    )
    token = hallq("token", "issue", "wang").strip()
    assert len(token) >= 40
    assert len(hallq("token", "issue", "--device", "K1").strip()) >= 40
    assert 'no kiosk, board, keypad or caller "K9"' in hallq("token", "issue", "--device", "K9", ok=False)
    assert 'no user "nobody"' in hallq("token", "issue", "nobody", ok=False)
    assert "give a USERNAME or --device ID" in hallq("token", "issue", ok=False)
    assert "database schema is current" in hallq("db", "upgrade")


def test_catalog_import_from_excel(hallq):
    hallq("init")
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["事项编码", "事项名称", "部门", "队列", "办件类型", "设立依据", "申报材料", "办理流程", "主题"]
    )
    sheet.append(
        [
            "JT009",
            "道路运输证补办",
            "JT",
            "H",
            "即办件",
            "《中华人民共和国道路运输条例》",
            "申请表\n身份证",
            "申请\n受理\n办结",
            "交通出行",
        ]
    )
    book.save(hallq.config / "new.xlsx")
    assert "new.xlsx: 1 items added, 0 updated" in hallq("catalog", "import", str(hallq.config / "new.xlsx"))
    sheet.append(["JT010", "坏行", "JT", "H", "马上办", "x", "y", "z", ""])
    book.save(hallq.config / "new.xlsx")
    output = hallq("catalog", "import", str(hallq.config / "new.xlsx"), ok=False)
    assert "new.xlsx: row 3 (JT010): 办件类型: Input should be 'instant' or 'commitment'" in output


def test_a_bad_environment_setting_is_named(hallq, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://hall@localhost/hallq")
    output = hallq("check-config", ok=False)
    assert "environment / .env:" in output and "DATABASE_URL" in output
    assert "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB" in output


def test_guide_pins(hallq):
    hallq("init")
    hallq("user", "add", "li", "--role", "guide", "--password-stdin", input="long-password-1\n")
    hallq("user", "add", "wang", "--role", "clerk", "--password-stdin", input="long-password-1\n")
    hallq("user", "add", "zhao", "--role", "guide", "--password-stdin", input="long-password-1\n")
    assert "PIN of li saved" in hallq("user", "pin", "li", "--pin-stdin", input="2468\n")
    assert "another person has this PIN" in hallq(
        "user", "pin", "zhao", "--pin-stdin", input="2468\n", ok=False
    )
    assert "a PIN is 4 to 8 digits" in hallq("user", "pin", "zhao", "--pin-stdin", input="12a4\n", ok=False)
    assert "only guides, managers and admins" in hallq(
        "user", "pin", "wang", "--pin-stdin", input="1357\n", ok=False
    )


def test_audit_verify_names_the_first_edited_entry(hallq, tmp_path):
    from sqlalchemy import select, update

    from queue_core import Database, SystemClock, audit, make_engine
    from queue_core.models import AuditEntry, Hall
    from queue_core.ticketing import issue_ticket

    hallq("init")
    database = Database(make_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}"), SystemClock())
    with database.read() as uow:
        hall = uow.session.scalars(select(Hall)).one()
    for kiosk in ("K1", "K2", "K1"):
        with (
            audit.acting_as(audit.Actor(hall.id, "kiosk", kiosk, action="api.create_ticket")),
            database.write() as uow,
        ):
            issue_ticket(uow, hall, queue_code="A")
    assert "3 entries hold; the last hash is" in hallq("audit", "verify")
    with database.write() as uow:
        second = uow.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()[1]
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == second).values(actor_id="K9"))
    database.engine.dispose()
    message = hallq("audit", "verify", ok=False)
    assert (
        f"entry {second} (" in message and "kiosk K9, api.create_ticket) does not match its hash" in message
    )
    assert "the 1 entries before it hold" in message


def test_init_reloads_the_config_but_the_demo_keeps_what_managers_changed(hallq, tmp_path):
    from hallq.cli import initialise
    from hallq.settings import Settings
    from queue_core import Database, SystemClock, make_engine
    from queue_core.halls import hall_by_code, window_by_number
    from queue_core.setup import set_window_queues
    from queue_core.spec import QueueRef

    hallq("init")
    database = Database(make_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}"), SystemClock())

    def window_13_queues(change: list[str] | None = None) -> list[str]:
        with database.write() as uow:
            hall = hall_by_code(uow, "qingshan")
            window = window_by_number(uow, hall.id, 13)
            if change:
                set_window_queues(uow, hall, window, [QueueRef(code=code) for code in change])
            return [link.queue.code for link in window.queue_links]

    assert window_13_queues(["C"]) == ["C"]  # as a manager does in the browser
    initialise(Settings(), keep_administered=True).engine.dispose()  # what `hallq demo` does
    assert window_13_queues() == ["C"]
    hallq("init")  # the operator reloads hall.toml on purpose: the file wins
    assert window_13_queues() == ["G", "E"]
    database.engine.dispose()


def test_rollups_build_rolls_up_closed_days_once(hallq):
    hallq("init")
    assert hallq("rollups", "build", "--from", "2026-01-01", "--to", "2026-01-03") == "3 days rolled up\n"
    assert hallq("rollups", "build", "--from", "2026-01-01", "--to", "2026-01-03") == "0 days rolled up\n"


def test_start_up_problems_are_one_line_not_a_traceback(hallq, monkeypatch):
    hallq("init")
    toml = hallq.config / "hall.toml"
    good = toml.read_text(encoding="utf-8")
    toml.write_text(good.replace("number = 1\n", 'number = "x"\n', 1), encoding="utf-8")
    output = hallq("serve", ok=False)
    assert output.startswith("Error: the configuration has problems:\n") and "Traceback" not in output
    assert "window 'x': number: Input should be a valid integer" in output

    # A range check-config accepts is one hallq init can load (it once let through numbers too
    # long for a ticket, or too large for the database, and init crashed).
    toml.write_text(good.replace("range = [1, 999]", "range = [1, 999999999]", 1), encoding="utf-8")
    output = hallq("check-config", ok=False)
    assert "range: must be [first, last] with 0 <= first < last <= 99,999, got [1, 999999999]" in output
    toml.write_text(good, encoding="utf-8")

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://hallq@127.0.0.1:1/hallq")
    output = hallq("serve", ok=False)
    assert output.startswith("Error: the database failed: OperationalError: connection failed")
    assert "Traceback" not in output and output.count("\n") == 1


def test_personal_data_export_and_erase_read_the_number_from_standard_input(hallq, tmp_path):
    import json

    from sqlalchemy import select

    from queue_core import Database, SystemClock, make_engine
    from queue_core.identity import holder_digest
    from queue_core.models import AuditEntry, Hall, Ticket
    from queue_core.ticketing import issue_ticket

    number = "11010519491231002X"
    hallq("init")
    database = Database(make_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}"), SystemClock())
    with database.write() as uow:
        hall = uow.session.scalars(select(Hall)).one()
        issue_ticket(uow, hall, queue_code="A", holder=holder_digest("cli-test", number))
        issue_ticket(uow, hall, queue_code="A")

    exported = hallq("personal-data", "export", input=number.lower() + "\n")
    assert number not in exported  # the prompt does not echo it
    held = json.loads(exported[exported.index("{") :])
    assert [(t["number"], t["status"]) for t in held["tickets"]] == [("A001", "waiting")]
    erased = hallq("personal-data", "erase", input=number + "\n")
    assert json.loads(erased[erased.index("{") :]) == {
        "tickets": 1,
        "appointments": 0,
        "comments": 0,
        "notes": 0,
    }
    again = hallq("personal-data", "export", input=number + "\n")
    assert json.loads(again[again.index("{") :])["tickets"] == []
    assert "the check digit does not match" in hallq(
        "personal-data", "erase", input="110105194912310021\n", ok=False
    )

    with database.read() as uow:
        assert uow.session.scalars(select(Ticket.holder_digest)).all() == [None, None]
        entries = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor_kind, e.actor_id, e.action) for e in entries] == [
        ("system", "cli", "cli.personal_data_export"),
        ("system", "cli", "cli.personal_data_erase"),
        ("system", "cli", "cli.personal_data_export"),
    ]
    assert entries[1].detail["anonymised"]["tickets"] == 1
    assert number not in str([e.detail for e in entries])
    assert holder_digest("cli-test", number) not in str([e.detail for e in entries])
