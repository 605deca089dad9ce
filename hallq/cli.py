"""The `hallq` command."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import click
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

import service_logs
from hall_agent.cli import main as agent_main
from queue_core import Database, SystemClock, UnitOfWork, accounts, make_engine, migrate, rollups
from queue_core.errors import DomainError
from queue_core.hall_calendar import HallCalendar, chinese_calendar_version
from queue_core.halls import hall_by_code
from queue_core.identity import normalise_id_number
from queue_core.models import Hall, Queue, Role, Staff, Ticket
from queue_core.numbering import service_day
from queue_core.setup import import_items, sync_hall, with_added_days
from queue_core.spec import CalendarSpec

from . import personal_data
from .config_files import ConfigError, load_catalog, load_config, load_hall, map_removals
from .faults import problem
from .settings import Settings, SettingsError, load_settings, make_folder

# Request threads of `hallq serve`: requests wait on the database (one writer at a time on
# SQLite, a pool of 15 connections on PostgreSQL), so more threads only queue there.
DEFAULT_THREADS = 16


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError:
        raise  # it names its setting already (_Commands)
    except Exception as exc:
        raise click.ClickException(f"environment / .env: {exc}") from exc


def _configure_logging() -> None:
    """A long-running command's logging (service_logs): from HALLQ_LOG_LEVEL and
    HALLQ_LOG_FORMAT, which the settings' .env may hold."""
    try:
        service_logs.configure()
    except service_logs.LogSettingError as exc:
        raise click.ClickException(f"environment / .env: {exc}") from exc


def _database(settings: Settings) -> Database:
    url = settings.database_url()
    if url.startswith("sqlite:///"):
        setting = "DATABASE_URL" if settings.DATABASE_URL else "HALLQ_INSTANCE"
        make_folder(Path(url.removeprefix("sqlite:///")).parent, setting)
    return Database(make_engine(url), SystemClock())


def _config_error(exc: ConfigError) -> click.ClickException:
    return click.ClickException("the configuration has problems:\n  " + "\n  ".join(exc.problems))


class _Commands(click.Group):
    """Every command: a broken configuration, or a database that cannot be reached or written,
    ends it with one line that says so (and a non-zero exit), not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise _config_error(exc) from exc
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc
        except sa_exc.DBAPIError as exc:
            raise click.ClickException(f"the database failed: {problem(exc)}") from exc


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Hallq: queue management for a government service hall."""


main.add_command(agent_main, "agent")


@main.command("check-config")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def check_config(directory: Path | None) -> None:
    """Validate hall.toml and the catalogue without starting anything."""
    directory = directory or _settings().HALLQ_CONFIG
    hall, items = load_config(directory)
    click.echo(
        f"{directory}: OK: {hall.hall.name}, {len(hall.departments)} departments, {len(hall.queues)} queues, "
        f"{len(hall.windows)} windows, {len(hall.kiosks)} kiosks, {len(items)} service items"
    )
    for note in map_removals(directory, hall):  # the kiosks show the plan without these
        click.echo(note)
    warning = _unknown_year_warning(HallCalendar(hall.full_calendar()), hall.hall.timezone)
    if warning:
        click.echo(warning)


def _unknown_year_warning(calendar: HallCalendar, timezone: str) -> str | None:
    year = calendar.unknown_year(datetime.now(ZoneInfo(timezone)).date())
    if year is None:
        return None
    return (
        f"calendar: the official holidays of {year} are not known (chinesecalendar "
        f"{chinese_calendar_version()}, and no day of {year} in calendar.toml): every Monday to "
        f"Friday of {year} counts as a working day until they are entered (docs/calendar.md)"
    )


def initialise(settings: Settings, *, keep_administered: bool = False) -> Database:
    """Create or upgrade the database, then load the hall and its catalogue from the config:
    what the files say wins. keep_administered: a hall already in the database stays as its
    managers left it in the browser."""
    spec, items = load_config(settings.HALLQ_CONFIG)  # its problems end the command (_Commands)
    db = _database(settings)
    migrate.upgrade(db.engine)
    with db.read() as uow:
        kept = keep_administered and uow.session.scalar(select(Hall.id).where(Hall.code == spec.hall.code))
    if kept:
        click.echo(f"{spec.hall.name}: as administered in the browser (hallq init reloads the config files)")
    else:
        with db.write() as uow:
            hall = sync_hall(uow, spec)
            result = import_items(uow, hall, items)
        click.echo(
            f"{spec.hall.name}: {len(spec.queues)} queues, {len(spec.windows)} windows; "
            f"catalogue: {result.created} items added, {result.updated} updated"
        )
    _recount_deadlines(db, spec.hall.code, "calendar.recount" if kept else "cli.init")
    return db


def _recount_deadlines(database: Database, code: str, action: str) -> None:
    """Open cases' deadlines counted again on the hall's calendar as it now is; each move is
    a step of its case and one audit entry lists them."""
    from queue_core import audit as trail
    from queue_core.cases import recount_deadlines, recounted_deadlines

    with database.read() as uow:
        hall = hall_by_code(uow, code)
        hall_id, due = hall.id, recounted_deadlines(uow, hall)
    if not due:  # the usual start: nothing to write, and no audit entry saying so
        return
    actor = trail.Actor(hall_id, "system", "cli", getpass.getuser(), action=action, subject="calendar")
    with trail.acting_as(actor), database.write() as uow:
        moved = recount_deadlines(uow, hall_by_code(uow, code))
    if moved:
        click.echo(f"calendar: the deadlines of {len(moved)} open case(s) moved (see each case's steps)")


@main.command()
def init() -> None:
    """Create or upgrade the database and load the hall and catalogue from HALLQ_CONFIG, and
    make the audit trail's signing key where there is none (HALLQ_AUDIT_KEY_FILE)."""
    from queue_core.audit_anchors import ensure_key

    settings = _settings()
    initialise(settings).engine.dispose()
    key_file = settings.audit_key_file()
    ensure_key(key_file)
    click.echo(f"audit trail signing key: {key_file} (keep it where only the supervisor can change it)")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply any pending schema migrations."""
    database = _database(_settings())
    migrate.upgrade(database.engine)
    click.echo("database schema is current")


@main.group()
def voice() -> None:
    """The hall board's voice clips."""


@voice.command("build")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the clips (default: hall_display/static/voice/default, which the board uses)",
)
def voice_build(out: Path | None) -> None:
    """Speak the default clip set (Mandarin, English, the chime) with espeak-ng into WAV files."""
    from hall_display.voice_clips import DEFAULT_DIR, VoiceBuildError, build_clips

    out = out or DEFAULT_DIR
    try:
        manifest = build_clips(out)
    except VoiceBuildError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = ", ".join(f"{len(lang['clips'])} {code}" for code, lang in manifest["languages"].items())
    click.echo(f"{out}: {counts} voice clips ({manifest['generator']})")


@voice.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def voice_import(folder: Path) -> None:
    """Load the hall's own recorded voice pack: FOLDER/zh/<clip>.wav … (or as FOLDER's
    manifest.json names them), checked for every clip the hall's calls use, into the config
    folder's [voice] clips folder ("voice" unless hall.toml names one)."""
    from hall_display.voice_clips import VoiceBuildError, import_pack, needed_clips

    settings = _settings()
    spec = load_hall(settings.HALLQ_CONFIG)
    needed = needed_clips(
        [q.code for q in spec.queues], max(w.number for w in spec.windows), spec.voice.english
    )
    target = Path(settings.HALLQ_CONFIG) / (spec.voice.clips or "voice")
    try:
        counts = import_pack(folder, target, needed)
    except VoiceBuildError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{target}: " + ", ".join(f"{n} {lang}" for lang, n in counts.items()) + " recorded clips")
    if spec.voice.clips is None:
        click.echo('add [voice] clips = "voice" to hall.toml, then restart the server: the boards play them')


@main.group()
def catalog() -> None:
    """The catalogue of service items."""


@catalog.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def catalog_import(file: Path) -> None:
    """Load or update service items from a CSV or XLSX file."""
    settings = _settings()
    spec = load_hall(settings.HALLQ_CONFIG)
    items = load_catalog(file, spec)
    database = _require_initialised(settings)
    with database.write() as uow:
        result = import_items(uow, hall_by_code(uow, spec.hall.code), items)
    click.echo(f"{file.name}: {result.created} items added, {result.updated} updated")


@main.group()
def user() -> None:
    """Staff accounts."""


PASSWORD_STDIN = click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
FORCE_CHANGE = click.option(
    "--force-change",
    is_flag=True,
    help="The owner must choose a new password at their next login (you are giving them this one)",
)


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default=None, help="Full name shown on the window board (default: USERNAME)")
@click.option("--badge", default="", help="Badge number (工号)")
@PASSWORD_STDIN
@FORCE_CHANGE
def user_add(
    username: str, role: str, name: str | None, badge: str, password_stdin: bool, force_change: bool
) -> None:
    """Add a clerk, guide, manager, admin, supervisor or city supervisor (city: reads every hall
    of the database on /city/), or reset their password and details. A reset ends the account's
    sessions.

    Unlike an account made in the manager pages, one made here need not change its password:
    this command is how the hall's IT makes the first admin, often their own, and resets on the
    server the accounts nobody else may reset. Give --force-change when handing the password to
    someone else."""
    password = _new_password(username, password_stdin)
    settings = _settings()
    database = _require_initialised(settings)
    with database.write() as uow:
        hall = hall_by_code(uow, load_hall(settings.HALLQ_CONFIG).hall.code)
        staff = uow.session.query(Staff).filter_by(username=username).one_or_none() or Staff(
            username=username
        )
        if staff.hall_id not in (None, hall.id):  # usernames are unique across a city's halls
            raise click.ClickException(f'the username "{username}" is taken in another hall')
        staff.hall_id, staff.name, staff.badge, staff.role = hall.id, name or username, badge, role
        uow.session.add(staff)
        staff_id = _give_password(uow, staff, password, force_change)
    _announce_password(settings, staff_id)
    click.echo(f"{role} {username} saved")


@user.command("passwd")
@click.argument("username")
@PASSWORD_STDIN
@FORCE_CHANGE
def user_passwd(username: str, password_stdin: bool, force_change: bool) -> None:
    """Set a person's password on the server, the rest of the account unchanged: how an admin's,
    a supervisor's or a city supervisor's password is reset, which nobody may do in the browser.
    The account's sessions end."""
    password = _new_password(username, password_stdin)
    settings = _settings()
    database = _require_initialised(settings)
    with database.write() as uow:
        staff = _account(uow, settings, username)
        staff_id = _give_password(uow, staff, password, force_change)
    _announce_password(settings, staff_id)
    click.echo(f"password of {username} saved")


def _account(uow: UnitOfWork, settings: Settings, username: str) -> Staff:
    """The account of this server's hall, or the reason there is none."""
    try:
        return accounts.account(uow, hall_by_code(uow, load_hall(settings.HALLQ_CONFIG).hall.code), username)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc


def _new_password(username: str, password_stdin: bool) -> str:
    """The password typed (or piped in), if it meets the rule (queue_core.passwords)."""
    from queue_core import passwords

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        passwords.require_strong(password, username)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    return password


def _give_password(uow: UnitOfWork, staff: Staff, password: str, force_change: bool) -> int:
    from .auth import hash_password

    accounts.give_password(staff, hash_password(password), to_be_changed=force_change)
    if staff.id is not None:
        accounts.end_sessions(staff)  # a reset: nobody goes on with the old password
    uow.session.flush()
    return staff.id


def _announce_password(settings: Settings, staff_id: int) -> None:
    """The serving processes drop what they cached of the account and close the sockets of
    its ended sessions (hallq.revocation)."""
    from .revocation import CLOSES_SESSIONS, announce_staff_change

    announce_staff_change(settings, staff_id, CLOSES_SESSIONS)


@user.command("pin")
@click.argument("username")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input")
def user_pin(username: str, pin_stdin: bool) -> None:
    """Set the PIN a guide types at a kiosk to allow a priority ticket (4 to 8 digits)."""
    from .auth import pin_digest

    pin = (
        sys.stdin.readline().strip()
        if pin_stdin
        else click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    )
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise click.ClickException("a PIN is 4 to 8 digits")
    settings = _settings()
    database = _require_initialised(settings)
    digest = pin_digest(settings.secret_key(), pin)
    with database.write() as uow:
        staff = _account(uow, settings, username)
        if staff.role not in (Role.GUIDE, Role.MANAGER, Role.ADMIN):
            raise click.ClickException(
                f"{username} is a {staff.role}: only guides, managers and admins have PINs"
            )
        other = uow.session.query(Staff).filter(Staff.pin_digest == digest, Staff.id != staff.id).first()
        if other is not None:
            raise click.ClickException("another person has this PIN: choose another")
        staff.pin_digest = digest
    click.echo(f"PIN of {username} saved")


@main.group()
def token() -> None:
    """Bearer tokens for people and devices."""


@token.command("issue")
@click.argument("username", required=False)
@click.option("--device", "device_id", help="A kiosk, board, keypad or caller id from hall.toml")
def token_issue(username: str | None, device_id: str | None) -> None:
    """Print a new bearer token for USERNAME, or for a device with --device ID."""
    from .auth import new_token

    if (username is None) == (device_id is None):
        raise click.UsageError("give a USERNAME or --device ID (one of them)")
    settings = _settings()
    spec = load_hall(settings.HALLQ_CONFIG)
    database = _require_initialised(settings)
    with database.write() as uow:
        hall = hall_by_code(uow, spec.hall.code)
        if device_id is not None:
            kind = spec.device_kind(device_id)
            if kind is None:
                raise click.ClickException(
                    f'hall.toml declares no kiosk, board, keypad or caller "{device_id}"'
                )
            value = new_token(uow, hall.id, device=(kind, device_id))
        else:
            try:
                value = new_token(uow, hall.id, staff=accounts.account(uow, hall, username or ""))
            except DomainError as exc:
                raise click.ClickException(exc.message) from exc
    click.echo(value)


def _require_initialised(settings: Settings) -> Database:
    database = _database(settings)
    if "hall" not in inspect(database.engine).get_table_names() or not migrate.is_current(database.engine):
        raise click.ClickException(
            f"the database at {settings.database_url()} is not set up: run `hallq init`"
        )
    return database


@main.group("calendar")
def calendar_group() -> None:
    """The hall's calendar: working days, sessions, dated exceptions (docs/calendar.md)."""


@calendar_group.command("apply")
def calendar_apply() -> None:
    """Load [calendar] of hall.toml and calendar.toml into the database (nothing else the
    managers changed in the browser is touched), then count open cases' deadlines again."""
    from queue_core import audit as trail

    settings = _settings()
    spec = load_hall(settings.HALLQ_CONFIG)
    database = _require_initialised(settings)
    with database.read() as uow:
        hall = hall_by_code(uow, spec.hall.code)
        hall_id, before = hall.id, HallCalendar.of_hall(hall).spec
        rules = with_added_days(spec.full_calendar(), hall)
    actor = trail.Actor(
        hall_id, "system", "cli", getpass.getuser(), action="cli.calendar_apply", subject="calendar"
    )
    with trail.acting_as(actor), database.write() as uow:
        hall_by_code(uow, spec.hall.code).calendar_rules = rules.rules_text()
        uow.audit_detail["calendar"] = _calendar_changes(before, rules)
    click.echo(
        f"calendar: {len(rules.days)} dated day(s); working-day sessions {', '.join(rules.sessions) or 'all day'}"
    )
    _recount_deadlines(database, spec.hall.code, "cli.calendar_recount")
    warning = _unknown_year_warning(HallCalendar(rules), spec.hall.timezone)
    if warning:
        click.echo(warning)


def _calendar_changes(before: CalendarSpec, after: CalendarSpec) -> dict[str, object]:
    """What an apply changed, for its audit entry: the dated days added, removed or changed."""
    old = {d.date: d for d in before.days}
    new = {d.date: d for d in after.days}
    return {
        "sessions": after.sessions,
        "days_added": sorted(str(d) for d in new.keys() - old.keys()),
        "days_removed": sorted(str(d) for d in old.keys() - new.keys()),
        "days_changed": sorted(str(d) for d in new.keys() & old.keys() if new[d] != old[d]),
        "queues_changed": before.queues != after.queues,
    }


@calendar_group.command("show")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 400), help="Days from today")
def calendar_show(days: int) -> None:
    """The coming days as the hall's calendar in the database has them: working or not, why,
    and each queue's sessions."""
    settings = _settings()
    database = _require_initialised(settings)
    code = load_hall(settings.HALLQ_CONFIG).hall.code
    with database.read() as uow:
        hall = hall_by_code(uow, code)
        calendar, zone = HallCalendar.of_hall(hall), hall.timezone
        queues = list(
            uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.position))
        )
        today = datetime.now(ZoneInfo(zone)).date()
        for ahead in range(days):
            day = calendar.day(today + timedelta(days=ahead))
            head = f"{day.date} {day.date:%a} " + ("working" if day.working else f"off ({day.reason})")
            head += "" if day.known else "  [holidays of this year not known]"
            click.echo(head)
            for queue in queues:
                spans = calendar.queue_sessions(queue, day.date)
                if spans:
                    text = ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in spans)
                    click.echo(f"    {queue.code}  {text}")
    warning = _unknown_year_warning(calendar, zone)
    if warning:
        click.echo(warning)


@main.group("rollups")
def rollups_group() -> None:
    """The statistics' per-day rollups (the server's sweeper builds them too, a week a minute)."""


@rollups_group.command("build")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: a year ago)")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: yesterday)")
def rollups_build(first: datetime | None, last: datetime | None) -> None:
    """Roll up the closed days that have none, so that reports over them read stored days."""
    settings = _settings()
    database = _require_initialised(settings)
    with database.read() as uow:
        hall = hall_by_code(uow, load_hall(settings.HALLQ_CONFIG).hall.code)
        yesterday = service_day(hall, uow.now()) - timedelta(days=1)
        hall_id = hall.id
    built = rollups.ensure(
        database,
        hall_id,
        first.date() if first else yesterday - timedelta(days=365),
        last.date() if last else yesterday,
    )
    click.echo(f"{built} days rolled up")


@main.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep-days", type=click.IntRange(1, 3650), default=30, show_default=True,
              help="Remove the copies in FOLDER older than this")  # fmt: skip
def backup_command(folder: Path, keep_days: int) -> None:
    """A consistent copy of the database in FOLDER, while the hall is serving (SQLite's backup
    API, or pg_dump); then the copies older than --keep-days are removed."""
    from .backups import BackupError, backup

    settings = _settings()
    spec = load_hall(settings.HALLQ_CONFIG)
    now = datetime.now(ZoneInfo(spec.hall.timezone))
    try:
        taken = backup(settings.database_url(), folder, now, keep_days)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up to {taken.path}")
    for old in taken.removed:
        click.echo(f"removed {old} (older than {keep_days} days)")


@main.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database")
def restore_command(backup_file: Path, yes: bool) -> None:
    """Put BACKUP_FILE (hallq backup's .sqlite or .dump) in place of the database named by
    DATABASE_URL, with the server stopped; then check the restored audit trail's chain."""
    from queue_core import audit as trail

    from .backups import BackupError, restore

    settings = _settings()
    url = settings.database_url()
    if not yes:
        click.confirm(f"Replace the database {make_url_safe(url)} with {backup_file}?", abort=True)
    try:
        restore(backup_file, url)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    database = _database(settings)
    with database.read() as uow:
        for hall in uow.session.scalars(select(Hall)):
            verdict = trail.verify(uow, hall.id)
            if verdict.broken is not None:
                raise click.ClickException(
                    f"restored, but the audit trail of {hall.code} breaks at entry {verdict.broken.id}: "
                    "run hallq audit verify"
                )
            click.echo(f"restored {hall.code}: {verdict.entries} audit entries hold")
    database.engine.dispose()


def make_url_safe(url: str) -> str:
    """A database URL without its password, to show."""
    return make_url(url).render_as_string(hide_password=True)


@main.group()
def audit() -> None:
    """The audit trail (电子监察)."""


@audit.command("verify")
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]),
    help="Compare only the checkpoints written until then (UTC): for a backup copy, the time it was taken",
)
def audit_verify(until: datetime | None) -> None:
    """Check the audit trail's hash chain against the signed checkpoints of the anchors file:
    name an edited or removed entry, a cut tail, a rewritten stretch and a checkpoint whose
    signature fails (exit 1); say which entries are not yet anchored."""
    from queue_core import audit as trail
    from queue_core import audit_anchors

    settings = _settings()
    database = _require_initialised(settings)
    spec = load_hall(settings.HALLQ_CONFIG)
    try:
        key = audit_anchors.load_key(settings.audit_key_file())
    except ValueError as exc:
        raise click.ClickException(f"{exc}: the checkpoints cannot be checked without it") from exc
    anchors = audit_anchors.read(settings.audit_anchors_file(), key, spec.hall.code)
    if until is not None:
        anchors = [a for a in anchors if a.checkpoint is None or a.checkpoint.at <= until.replace(tzinfo=UTC)]
    watch = {a.checkpoint.last_id for a in anchors if a.checkpoint is not None}
    with database.read() as uow:
        verdict = trail.verify(uow, hall_by_code(uow, spec.hall.code).id, watch=watch)
    finding = audit_anchors.check(verdict, anchors)
    problems = list(finding.problems)
    if verdict.broken is not None:
        entry = verdict.broken
        problems.insert(
            0,
            f"entry {entry.id} ({entry.at:%Y-%m-%d %H:%M:%S} UTC, {entry.actor_kind} {entry.actor_id}, "
            f"{entry.action}) {verdict.problem}; the {verdict.entries} entries before it hold",
        )
    else:
        click.echo(f"{verdict.entries} entries hold; the last hash is {verdict.last_hash}")
    if finding.anchored is not None:
        newest = finding.anchored
        click.echo(
            f"{finding.checkpoints} checkpoints in {settings.audit_anchors_file()}; the newest the chain agrees "
            f"with, of {audit_anchors.when(newest)}, saw {newest.entries} entries up to #{newest.last_id}"
        )
    if finding.unanchored:
        since = f"after #{finding.newest.last_id} " if finding.newest else ""
        click.echo(f"{finding.unanchored} entries {since}are not yet anchored (no checkpoint has seen them)")
    if problems:
        raise click.ClickException("\n".join(problems))


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the audit trail's head now and append it to the anchors file (the server does so
    every few minutes, at the day's end and when it stops)."""
    from queue_core import audit_anchors

    from .anchoring import audit_anchoring

    settings = _settings()
    database = _require_initialised(settings)
    anchoring = audit_anchoring(settings, database, load_hall(settings.HALLQ_CONFIG).hall.code)
    checkpoint = anchoring.write("command")
    click.echo(
        f"checkpoint of {audit_anchors.when(checkpoint)}: {checkpoint.entries} entries up to #{checkpoint.last_id}, "
        f"head {checkpoint.head or '(none)'}; appended to {settings.audit_anchors_file()}"
    )


@main.group("personal-data")
def personal_data_group() -> None:
    """A citizen's personal data (PIPL), found by their ID number: asked for without echo, or
    read from standard input, never given on the command line (which `ps` and the shell's
    history show). Audited as the system account `cli`, with your login name."""


@personal_data_group.command("export")
def personal_data_export() -> None:
    """Print, as JSON, what the hall holds about the person."""
    click.echo(_on_personal_data("export").model_dump_json(indent=2))


@personal_data_group.command("erase")
def personal_data_erase() -> None:
    """Anonymise what the hall holds about the person; print how many rows gave it up."""
    click.echo(_on_personal_data("erase").model_dump_json())


def _on_personal_data(what: Literal["export", "erase"]) -> BaseModel:
    from queue_core import audit as trail

    number = click.prompt("Resident ID number", hide_input=True, err=True)
    try:
        number = normalise_id_number(number)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = _settings()
    database = _require_initialised(settings)
    code = load_hall(settings.HALLQ_CONFIG).hall.code
    with database.read() as uow:
        hall_id = hall_by_code(uow, code).id
    actor = trail.Actor(
        hall_id,
        "system",
        "cli",
        getpass.getuser(),
        action=f"cli.personal_data_{what}",
        subject="personal-data",
    )
    run = personal_data.export if what == "export" else personal_data.erase
    return run(database, code, settings.secret_key(), number, actor)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(min=1, max=1000),
    help="Requests handled at once (open screens need none)",
)
@click.option("--access-log", is_flag=True)
def serve(host: str, port: int, threads: int, access_log: bool) -> None:
    """Serve the hall (production server: uvicorn, every screen's socket on one event loop)."""
    from . import create_app
    from .server import run

    settings = _settings()
    _configure_logging()
    spec = load_hall(settings.HALLQ_CONFIG)  # its problems, if any, before anything starts
    database = _require_initialised(settings)
    _recount_deadlines(database, spec.hall.code, "calendar.recount")  # chinesecalendar upgraded?
    database.engine.dispose()
    logging.getLogger("hallq").info("Hallq serving on http://%s:%s/", host, port)
    run(create_app, host, port, threads, access_log)


@main.command("led-bridge")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="The Hallq server")
def led_bridge(url: str) -> None:
    """Show each window's text on its serial LED module ([led] in hall.toml) until stopped."""
    from hall_display.led_bridge import LedError, serve

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("give the server as http://HOST:PORT", param_hint="--url")
    settings = _settings()
    spec = load_hall(settings.HALLQ_CONFIG)
    if spec.led is None:
        raise click.ClickException(
            f"{settings.HALLQ_CONFIG / 'hall.toml'} has no [led] section: "
            "describe the port and modules first (see docs/led.md)"
        )
    _configure_logging()
    try:
        serve(spec.led, url)
    except LedError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("keypad-bridge")
@click.argument("keypad_id")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="The Hallq server")
@click.option(
    "--token",
    envvar="HALLQ_DEVICE_TOKEN",
    help="The keypad's device token (hallq token issue --device KEYPAD_ID); or HALLQ_DEVICE_TOKEN",
)
@click.option("--verbose", "-v", is_flag=True, help="Also log the keys that give no level, by name")
def keypad_bridge(keypad_id: str, url: str, token: str | None, verbose: bool) -> None:
    """Send the presses of KEYPAD_ID's physical keypad (its device in hall.toml) as ratings until stopped."""
    from evaluation.keypad_bridge import KeypadError, open_device, serve

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("give the server as http://HOST:PORT", param_hint="--url")
    if not token:
        raise click.UsageError(
            f"give keypad {keypad_id}'s device token with --token or in HALLQ_DEVICE_TOKEN "
            f"(hallq token issue --device {keypad_id} makes one)"
        )
    settings = _settings()
    spec = load_hall(settings.HALLQ_CONFIG)
    keypad = next((k for k in spec.keypads if k.id == keypad_id), None)
    if keypad is None:
        declared = ", ".join(k.id for k in spec.keypads) or "none"
        raise click.ClickException(
            f'{settings.HALLQ_CONFIG / "hall.toml"} declares no keypad "{keypad_id}" (its keypads: {declared})'
        )
    if keypad.device is None:
        raise click.ClickException(
            f"keypad {keypad.id} has no device: it is a tablet keypad, open /keypad/{keypad.window} on it"
        )
    try:
        open_device(keypad.device)  # a device URL it cannot use stops it here, not in the log
    except KeypadError as exc:
        raise click.ClickException(str(exc)) from exc
    _configure_logging()
    if verbose:
        logging.getLogger("hallq.keypad").setLevel(logging.DEBUG)
    serve(keypad, url, token)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def demo(host: str, port: int) -> None:
    """Set up the demo hall if needed (database, catalogue, staff, a lively morning), then serve."""
    from . import create_app
    from .demo import seed
    from .server import run

    settings = _settings()
    # The demo is plain HTTP on 127.0.0.1: its login cookie cannot be HTTPS-only (unless the
    # environment or .env says otherwise, e.g. a demo behind a TLS proxy; left empty, as in
    # .env.example, it says nothing).
    if not os.environ.get("HALLQ_SECURE_COOKIES"):
        os.environ["HALLQ_SECURE_COOKIES"] = "false"
    database = initialise(settings, keep_administered=True)
    seed(database, load_hall(settings.HALLQ_CONFIG))
    database.engine.dispose()
    click.echo(f"\nDemo hall: http://{host}:{port}/   (staff passwords: Hallq-demo)")
    run(create_app, host, port, DEFAULT_THREADS)


@main.command("simulate")
@click.option(
    "--days", default=1, show_default=True, type=click.IntRange(min=1), help="Calendar days to fill"
)
@click.option(
    "--tickets-per-day",
    type=click.IntRange(min=1),
    default=None,
    help="Citizens a day, about (default: what the hall's windows serve in a day)",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The first day, YYYY-MM-DD (default: DAYS days before today, so that the run ends yesterday)",
)
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same days")
@click.option(
    "--repeat-days",
    type=click.IntRange(min=1),
    default=None,
    help="Simulate only this many working days through the core, then fill the others by copying "
    "them in turn (new ids, dates moved): copied days are copies, their figures equal their source days'",
)
@click.option(
    "--as-configured",
    is_flag=True,
    help="Keep the hall's windows and quotas even when they cannot serve --tickets-per-day "
    "(by default the hall gets as many more windows as the demand needs)",
)
@click.option(
    "--force", is_flag=True, help="Run even where the days already have tickets (their figures then mix)"
)
def simulate_command(
    days: int,
    tickets_per_day: int | None,
    start: datetime | None,
    seed: int,
    repeat_days: int | None,
    as_configured: bool,
    force: bool,
) -> None:
    """Fill the database with generated hall days, through the same core as the server.

    Realistic arrivals (morning and afternoon peaks, a lunch dip), service times, no-shows,
    transfers, pauses, cancellations and ratings on every working day of the official
    calendar; weekends and holidays get no tickets. Tickets still waiting at closing time are
    cancelled. On SQLite the run writes with synchronous=OFF: the data set is generated, so a
    crash only means running it again. See hallq/simulate.py.
    """
    from . import simulate as sim

    settings = _settings()
    initialise(settings).engine.dispose()
    spec = load_hall(settings.HALLQ_CONFIG)
    today = datetime.now(ZoneInfo(spec.hall.timezone)).date()
    first = start.date() if start else today - timedelta(days=days)
    last = first + timedelta(days=days - 1)
    tickets_per_day = tickets_per_day or sim.capacity(spec, seed)
    database = Database(sim.fast_engine(settings.database_url()), SystemClock())
    try:
        with database.read() as uow:
            taken = uow.session.scalar(
                select(func.count())
                .select_from(Ticket)
                .join(Hall, Hall.id == Ticket.hall_id)
                .where(Hall.code == spec.hall.code, Ticket.service_day.between(first, last))
            )
        if taken and not force:
            raise click.ClickException(
                f"the database already has {taken} tickets from {first} to {last}: simulated days "
                "would mix with them and every figure of those days would be neither theirs nor "
                "the simulation's. Choose other days (--start) or another database, or give --force"
            )
        if not as_configured:
            sized = sim.sized_spec(spec, tickets_per_day, seed)
            if sized is not spec:
                with database.write() as uow:
                    sync_hall(uow, sized)
                click.echo(
                    f"{len(spec.windows)} windows serve about {sim.capacity(spec, seed)} citizens a day: "
                    f"simulating {len(sized.windows)} windows (windows {sized.windows[len(spec.windows)].number}"
                    f"-{sized.windows[-1].number} serve what the configured ones serve, in turn) with daily "
                    "quotas raised in proportion, written into the database's hall; --as-configured keeps the hall"
                )
                spec = sized

        def progress(p: sim.DayProgress) -> None:
            total = p.report.issued + p.report.tickets_copied
            how = f"copied from {p.copied_from}" if p.copied_from else "through the core"
            click.echo(
                f"{p.day} ({p.done}/{p.total} days): {p.tickets} tickets {how}; "
                f"{total} tickets in {p.elapsed:.1f} s, {total / max(p.elapsed, 1e-9):.0f} tickets/s"
            )

        try:
            report = sim.simulate(
                database,
                spec,
                days=days,
                tickets_per_day=tickets_per_day,
                start=first,
                seed=seed,
                repeat_days=repeat_days,
                progress=progress,
            )
        except (LookupError, ValueError) as exc:  # a hall or day the run cannot use, named
            raise click.ClickException(str(exc)) from exc
    finally:
        database.engine.dispose()
    r = report
    click.echo(
        f"{first} to {last}: {r.days} days simulated, {r.copied_days} copied, {r.skipped_days} not working days; "
        f"{r.issued} tickets issued ({r.refused} refused), {r.served} served, {r.no_shows} no-shows "
        f"({r.requeued} requeued), {r.transfers} transfers, {r.cancelled} cancelled "
        f"({r.cancelled_at_close} at closing), {r.ratings} ratings ({r.bad_ratings} bad), "
        f"{r.tickets_copied} tickets copied; {r.seconds:.1f} s"
    )


@main.command("simulate-live")
@click.argument("urls", nargs=-1, required=True)
@click.option(
    "--token",
    envvar="HALLQ_ADMIN_TOKEN",
    required=True,
    help="An admin's API token (hallq token issue ADMIN), or HALLQ_ADMIN_TOKEN",
)
@click.option("--tickets", default=100, show_default=True, type=click.IntRange(min=1), help="Citizens, about")
@click.option(
    "--hours",
    default="peak",
    show_default=True,
    help="The stretch of the day: HH:MM-HH:MM, peak (its busiest hour) or day (08:30-17:30)",
)
@click.option("--speed", default=10.0, show_default=True, type=click.FloatRange(min=0.1), help="Times faster")
@click.option("--clients", default=0, show_default=True, type=click.IntRange(min=0), help="Screens on /hall")
@click.option(
    "--client-processes", type=click.IntRange(min=1), default=None, help="Processes for the screens"
)
@click.option("--seed", default=1, show_default=True)
@click.option("--no-requeue", is_flag=True, help="The hall does not put no-shows back in the queue")
def simulate_live_command(
    urls: tuple[str, ...],
    token: str,
    tickets: int,
    hours: str,
    speed: float,
    clients: int,
    client_processes: int | None,
    seed: int,
    no_requeue: bool,
) -> None:
    """Play a stretch of a simulated day against running servers at URLS, in real time sped
    up, through their HTTP API and Socket.IO as the hall's kiosks, clerks, keypads and
    screens do (see hallq/live_simulation.py). Exits 1 when any request failed."""
    from .live_simulation import parse_stretch, simulate_live

    if not all(url.startswith(("http://", "https://")) for url in urls):
        raise click.BadParameter("give each server as http://HOST:PORT", param_hint="URLS")
    try:
        stretch = parse_stretch(hours)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--hours") from exc
    report = simulate_live(
        [url.rstrip("/") for url in urls],
        token,
        tickets=tickets,
        stretch=stretch,
        speed=speed,
        clients=clients,
        client_processes=client_processes,
        seed=seed,
        requeue=not no_requeue,
    )
    for line in report.lines():
        click.echo(line)
    if report.errors.count:
        sys.exit(1)
