"""Who is asking. Browser pages log in with a session (Flask-Login, CSRF on forms); devices
and other systems send ``Authorization: Bearer <token>``. Both end up as current_user:
a StaffUser (clerk, guide, manager, admin) or a DeviceUser (kiosk, board, keypad)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import limits
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from queue_core import UnitOfWork, accounts, audit, passwords
from queue_core.halls import hall_by_id
from queue_core.models import USERNAME_LENGTH, ApiToken, Hall, Role, Staff

from .acting import hall_id
from .error_texts import error_response
from .extensions import login_manager
from .i18n import LOCALES
from .present import API_PREFIX
from .revocation import CLOSES_SESSIONS
from .state import current_hall, state

bp = Blueprint("auth", __name__)


@dataclass(frozen=True)
class StaffUser:
    """A person, as Flask-Login sees them."""

    id: int
    username: str
    name: str
    badge: str
    role: str
    via_token: bool = False
    session_version: int = 0
    must_change_password: bool = False
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What the login session keeps: the account and the version it began with (a
        logout, a new password or deactivation raises the account's, ending the session)."""
        return f"{self.id}.{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@dataclass(frozen=True)
class DeviceUser:
    """A kiosk, board or keypad declared in hall.toml, acting with its device token."""

    device_kind: str
    device_id: str
    role = "device"
    via_token = True
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:  # devices never hold a session
        return ""

    def has_role(self, *roles: str) -> bool:
        return False


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def new_token(
    uow: UnitOfWork, hall_id: int, *, staff: Staff | None = None, device: tuple[str, str] | None = None
) -> str:
    """Create a bearer token; only its SHA-256 is stored, so it is shown exactly once."""
    token = secrets.token_urlsafe(32)
    kind, device_id = device or (None, None)
    uow.session.add(
        ApiToken(
            hall_id=hall_id,
            token_hash=token_digest(token),
            staff_id=staff.id if staff else None,
            device_kind=kind,
            device_id=device_id,
            created_at=uow.now(),
        )
    )
    return token


def pin_digest(secret_key: str, pin: str) -> str:
    """A guide's PIN as stored: HMAC-SHA256 keyed with the server's secret. Deterministic, so
    the PIN typed at a kiosk finds its guide in one look-up; the key keeps a stolen table from
    being read back by trying all PINs."""
    return hmac.new(secret_key.encode(), pin.encode(), hashlib.sha256).hexdigest()


def guide_by_pin(uow: UnitOfWork, hall: Hall, secret_key: str, pin: str) -> Staff | None:
    """The hall's active guide, manager or admin whose PIN this is."""
    staff = uow.session.scalar(select(Staff).where(Staff.pin_digest == pin_digest(secret_key, pin)))
    if staff is None or not staff.active or staff.role not in ("guide", "manager", "admin"):
        return None
    return staff if staff.hall_id == hall.id else None


def token_digest(token: str) -> str:
    """What is stored of a token, and what a revocation names (hallq.revocation)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _staff_user(staff: Staff, via_token: bool = False) -> StaffUser:
    return StaffUser(
        staff.id,
        staff.username,
        staff.name,
        staff.badge,
        staff.role,
        via_token,
        staff.session_version or 0,
        bool(staff.must_change_password),
    )


def _works_here(staff: Staff) -> bool:
    """Whether the person may use this server: the staff of its hall. Several halls may share
    one database (a city's centres); the city's supervisors read them all from any of them."""
    return staff.hall_id == hall_id() or staff.role == Role.CITY


@dataclass(frozen=True)
class OtherHallToken:
    """A valid token of another hall sharing the database: refused here, saying where it works."""

    hall_name: str


@login_manager.user_loader
def _load_session_user(user_id: str) -> StaffUser | None:
    """The session's person, unless the session has ended since (its version is old) or has
    been left idle too long (also for a socket opened with the session's cookie)."""
    staff_id, _, version = user_id.partition(".")
    if not (staff_id.isdigit() and version.isdigit()) or _idle_too_long():
        return None
    with state().db.read() as uow:
        staff = uow.session.get(Staff, int(staff_id))
        if staff is None or not staff.active or not _works_here(staff):
            return None
        return _staff_user(staff) if (staff.session_version or 0) == int(version) else None


@login_manager.request_loader
def _load_token_user(req: Any) -> StaffUser | DeviceUser | None:
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    principal = _token_principal(token.strip())
    if isinstance(principal, OtherHallToken):
        abort(403, f"this token belongs to {principal.hall_name}: use it with that hall's server")
    return principal


def user_for_token(token: str) -> StaffUser | DeviceUser | None:
    """The person or device a bearer token stands for (also used by Socket.IO connections)."""
    principal = _token_principal(token)
    return None if isinstance(principal, OtherHallToken) else principal


def _token_principal(token: str) -> StaffUser | DeviceUser | OtherHallToken | None:
    app_state, digest = state(), token_digest(token)
    with app_state.cache_lock:
        # One look: an entry can expire between `in` and `[]`, and TTLCache.get is those two
        # looks (a kiosk's 500, seen once in 6,000 tickets).
        try:
            return app_state.token_cache[digest]
        except KeyError:
            generation = app_state.revocations.generation
    principal = _lookup_token(digest)
    with app_state.cache_lock:
        if app_state.revocations.generation == generation:  # else it may be revoked already
            app_state.token_cache[digest] = principal
    return principal


def _lookup_token(digest: str) -> StaffUser | DeviceUser | OtherHallToken | None:
    with state().db.read() as uow:
        row = uow.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
        )
        if row is None:
            return None
        if row.staff is not None:
            if not row.staff.active:
                return None
            if not _works_here(row.staff):
                return OtherHallToken(hall_by_id(uow, row.staff.hall_id).name)
            return _staff_user(row.staff, via_token=True)
        if row.hall_id != hall_id():  # a device declared in another hall's hall.toml
            return OtherHallToken(hall_by_id(uow, row.hall_id).name)
        return DeviceUser(row.device_kind or "", row.device_id or "")


# -- idle sessions -----------------------------------------------------------------------
# The session keeps when its person last did something (SEEN, by the app's clock). What counts
# is what a person does: opening a page, or a change sent from one (a clerk's call, a manager's
# save). A page's reads of the API do not count, nor its socket: the clerk's panel and the
# dashboard read whenever the hall's events tell them to, all day, and would keep a screen
# nobody sits at logged in for ever. A clerk serving one long case for more than the limit logs
# in again at the next call: that is the control (hall.toml [accounts] idle_minutes).
SEEN = "seen"


def _idle_too_long() -> bool:
    seen = session.get(SEEN)
    if not isinstance(seen, str):
        return True  # a session from before the limit, or a forged one
    try:
        last = datetime.fromisoformat(seen)
    except ValueError:
        return True
    return _now() - last > timedelta(minutes=state().spec.accounts.idle_minutes)


def _now() -> datetime:
    return state().db.clock.now()


def _is_activity() -> bool:
    return not (request.path.startswith(API_PREFIX + "/") and request.method in ("GET", "HEAD"))


def _log_in(user: StaffUser) -> None:
    login_user(user)
    session[SEEN] = _now().isoformat()


# While its password must be changed, a session reaches nothing but these.
WHILE_PASSWORD_MUST_CHANGE = ("auth.change_password", "auth.logout", "auth.set_language")


@bp.before_app_request
def _session_rules() -> Any:
    """A logged-in person's activity keeps the session alive; and a person whose password was
    set by someone else reaches only the change-password page until they have chosen one
    (pages redirect there, the API answers 403 password_change_required).

    Bearer tokens are not held back: a token is not the password, and is held by another
    system acting for the person, which has no password to change; the admin who set the
    password could issue a token for the account anyway (queue_core.accounts.may_act_for)."""
    if (request.endpoint or "").endswith("static"):
        return None  # a page's styles and scripts: neither activity nor worth a look-up
    if not current_user.is_authenticated or current_user.via_token:
        return None
    if current_user.must_change_password and request.endpoint not in WHILE_PASSWORD_MUST_CHANGE:
        if request.path.startswith(API_PREFIX + "/"):
            message = "this account's password was set by someone else: change it first at /password"
            return error_response(403, "password_change_required", message)
        return redirect(url_for("auth.change_password", next=request.full_path.rstrip("?")))
    if _is_activity():
        session[SEEN] = _now().isoformat()
    return None


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=USERNAME_LENGTH)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])


# Guessing passwords: after this many failed logins an account is locked for the window's
# length, and an address that fails this often (trying many accounts) is too.
ACCOUNT_FAILURES = limits.parse("5 per 15 minutes")
ADDRESS_FAILURES = limits.parse("20 per 15 minutes")


def _locked_out(username: str) -> bool:
    limiter = state().rate_limiter
    return not (
        limiter.test(ACCOUNT_FAILURES, "login-account", username.lower())
        and limiter.test(ADDRESS_FAILURES, "login-address", request.remote_addr or "")
    )


def _count_failure(username: str) -> None:
    limiter = state().rate_limiter
    limiter.hit(ACCOUNT_FAILURES, "login-account", username.lower())
    limiter.hit(ADDRESS_FAILURES, "login-address", request.remote_addr or "")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_app.config["SESSION_COOKIE_SECURE"] and not request.is_secure:
        # The browser would drop the Secure cookie: a login that seems to work and never does.
        text = _(
            "This server keeps staff logins over HTTPS only: open it at its https:// address. "
            "Behind a reverse proxy that terminates TLS, set HALLQ_PROXIES; for plain HTTP "
            "(a test bench), HALLQ_SECURE_COOKIES=false."
        )
        return render_template("error.html", status=400, title=_("HTTPS only"), text=text), 400
    form = LoginForm()
    if form.validate_on_submit() and _locked_out(form.username.data or ""):
        _audit_login(None, form.username.data or "", result="locked")
        flash(_l("Too many failed logins: try again in 15 minutes."), "error")
        return render_template("login.html", form=form), 429
    if form.validate_on_submit():
        with state().db.read() as uow:
            staff = uow.session.scalar(select(Staff).where(Staff.username == form.username.data))
            ok = (
                staff is not None
                and staff.active
                and check_password_hash(staff.password_hash, form.password.data or "")
            )
            elsewhere = (
                hall_by_id(uow, staff.hall_id).name if ok and staff and not _works_here(staff) else None
            )
            user = _staff_user(staff) if ok and staff and elsewhere is None else None
        if elsewhere is not None:
            # The right password, at the wrong hall's server: say where to log in.
            _audit_login(None, form.username.data or "", result="other_hall")
            flash(
                _l("This account belongs to %(hall)s: log in at that hall's server.", hall=elsewhere), "error"
            )
            return render_template("login.html", form=form), 403
        _audit_login(user, form.username.data or "")
        if user is None:
            _count_failure(form.username.data or "")
        if user is not None:
            _log_in(user)
            return redirect(_local(request.args.get("next", "")) or url_for(LANDING[user.role]))
        flash(_l("Wrong username or password."), "error")
    return render_template("login.html", form=form), 200 if request.method == "GET" else 401


# Where each role lands after logging in (unless a page sent them to log in): their own page.
# A clerk's is their window's panel (the choice of windows until they sign in to one).
LANDING: dict[str, str] = {  # by role
    Role.CLERK: "window_panel.choose_window",
    Role.GUIDE: "guide.desk",
    Role.MANAGER: "manager.home",
    Role.ADMIN: "manager.admin_home",
    Role.SUPERVISOR: "manager.home",
    Role.CITY: "city.dashboard",
}


# What each part of the password rule is called on the screens (queue_core.passwords).
WEAKNESS_TEXT = {
    passwords.Weakness.TOO_SHORT: _l("at least %(n)s characters", n=passwords.MIN_LENGTH),
    passwords.Weakness.FEW_CLASSES: _l(
        "at least %(n)s of: lower case letters, upper case letters, digits, symbols", n=passwords.MIN_CLASSES
    ),
    passwords.Weakness.HAS_USERNAME: _l("not containing the username"),
    passwords.Weakness.COMMON: _l("not a commonly used password"),
}


_RULE = {"min_length": passwords.MIN_LENGTH, "min_classes": passwords.MIN_CLASSES}


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)]
    )
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])
    repeated = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", _l("The two new passwords differ."))],
    )


@bp.route("/password", methods=["GET", "POST"])
def change_password() -> Any:
    """One's own password, for every role (a clerk has no other way to change it). The new one
    ends the account's other sessions; this one goes on."""
    if not current_user.is_authenticated or current_user.via_token:
        return login_manager.unauthorized()
    form = PasswordForm()
    weaknesses: list[Any] = []
    if form.validate_on_submit() and _locked_out(current_user.username):
        flash(_l("Too many failed logins: try again in 15 minutes."), "error")
        return render_template("password.html", form=form, weaknesses=weaknesses, **_RULE), 429
    if form.validate_on_submit():
        weaknesses = [
            WEAKNESS_TEXT[w] for w in passwords.weaknesses(form.new.data or "", current_user.username)
        ]
        if form.new.data == form.current.data:
            form.new.errors = [*form.new.errors, _l("The new password must differ from the current one.")]
        elif not weaknesses:
            with state().db.read() as uow:
                staff = uow.session.get_one(Staff, current_user.id)
                right = check_password_hash(staff.password_hash, form.current.data or "")
            if right:
                _log_in(_new_own_password(form.new.data or ""))  # under the new session version
                flash(_l("Your password has been changed."), "ok")
                return redirect(_local(request.args.get("next", "")) or url_for("pages.index"))
            # Guessing the password with a session left open counts as guessing it at the login.
            _count_failure(current_user.username)
            _audit_password_refused()
            form.current.errors = [*form.current.errors, _l("The current password is wrong.")]
    status = 200 if request.method == "GET" else 422
    return render_template("password.html", form=form, weaknesses=weaknesses, **_RULE), status


def _new_own_password(password: str) -> StaffUser:
    with state().db.write() as uow:
        staff = uow.session.get_one(Staff, current_user.id)
        accounts.set_password(uow, current_hall(uow), staff, staff.username, hash_password(password))
        user = _staff_user(staff)
    state().revocations.staff_changed(user.id, CLOSES_SESSIONS)
    return user


def _audit_password_refused() -> None:
    from .acting import actor_for

    audit.write_entry(state().db, actor_for(current_user), {"result": "wrong_current_password"})


def end_every_session(staff_id: int, actor: audit.Actor) -> None:
    """Logging out ends the account's every session, on every device and process: a copied
    cookie is no good afterwards."""
    with audit.acting_as(actor), state().db.write() as uow:
        staff = uow.session.get(Staff, staff_id)
        if staff is not None:
            accounts.end_sessions(staff)
    state().revocations.staff_changed(staff_id, CLOSES_SESSIONS)


def _audit_login(user: StaffUser | None, username: str, result: str | None = None) -> None:
    """Every login, and every failed or locked-out attempt with the name it tried, is in the
    audit trail."""
    from .acting import actor_for

    detail = {"result": result or ("ok" if user else "refused"), "username": username[:60]}
    audit.write_entry(state().db, actor_for(user, "auth.login"), detail)


@bp.post("/logout")
def logout() -> Any:
    from .acting import actor_for

    if current_user.is_authenticated:
        end_every_session(current_user.id, actor_for(current_user, "auth.logout"))
    logout_user()
    return redirect(url_for("pages.index"))


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code in LOCALES:
        session["lang"] = code
    return redirect(_local(request.args.get("next", "")) or "/")


def _local(target: str) -> str:
    """Only same-site paths may be redirected to (no open redirect). Read as a browser reads
    it, tabs and line breaks dropped and backslashes taken as slashes: "/%09/evil.example/"
    and "/%5Cevil.example" must not become "//evil.example"."""
    cleaned = re.sub(r"[\t\r\n]", "", target).replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return ""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in cleaned):
        return ""
    return cleaned


login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to open this page.")
