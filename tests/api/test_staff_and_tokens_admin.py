"""Staff accounts and bearer tokens as managers keep them: who may change whom, nobody locks
themselves out, a revoked token is refused at once."""

from __future__ import annotations

PERSON = {"name": "李新", "badge": "0999", "role": "clerk", "password": "new-password-1"}


def log_in(app, username: str, password: str) -> int:
    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return answer.status_code


def test_a_manager_adds_an_account_that_logs_in_then_resets_and_deactivates_it(app, api):
    assert api.request("PUT", "/staff/newclerk", "manager", {**PERSON, "password": None}).status_code == 403
    added = api.request("PUT", "/staff/newclerk", "manager", PERSON)
    assert added.get_json() == {
        "username": "newclerk",
        "name": "李新",
        "badge": "0999",
        "role": "clerk",
        "active": True,
    }
    assert log_in(app, "newclerk", "new-password-1") == 302

    refused = api.request("PUT", "/staff/newclerk/password", "manager", {"password": "another-one-2"})
    assert refused.status_code == 403  # only an admin resets another person's password
    reset = api.request("PUT", "/staff/newclerk/password", "admin", {"password": "another-one-2"})
    assert reset.status_code == 200
    assert log_in(app, "newclerk", "new-password-1") == 401
    assert log_in(app, "newclerk", "another-one-2") == 302

    changed = api.request("PUT", "/staff/newclerk", "manager", {**PERSON, "password": None, "active": False})
    assert changed.get_json()["active"] is False
    assert log_in(app, "newclerk", "another-one-2") == 401
    listed = {s["username"]: s for s in api.get("/staff", "supervisor").get_json()}
    assert listed["newclerk"]["active"] is False and listed["admin"]["role"] == "admin"


def test_nobody_locks_themselves_out_and_only_admins_touch_admins(api):
    me = {"name": "manager名", "badge": "0001", "role": "manager"}
    for change in ({"active": False}, {"role": "clerk"}):
        refused = api.request("PUT", "/staff/manager", "manager", {**me, **change})
        assert refused.status_code == 403
        assert (
            "you cannot deactivate your own account or change your own role" in refused.get_json()["message"]
        )
    assert api.request("PUT", "/staff/manager", "manager", {**me, "badge": "0002"}).status_code == 200

    admin = {"name": "admin名", "badge": "0003", "role": "admin"}
    for path, body in (
        ("/staff/admin", {**admin, "active": False}),
        ("/staff/newadmin", {**admin, "password": "password-123"}),
        ("/staff/clerk1", {"name": "clerk1名", "role": "admin"}),
        ("/staff/clerk1", {"name": "clerk1名", "role": "city"}),
    ):
        refused = api.request("PUT", path, "manager", body)
        assert refused.status_code == 403, path
        assert refused.get_json()["message"] == "only an admin may create or change an admin or city account"
    assert (
        api.request("PUT", "/staff/newadmin", "admin", {**admin, "password": "password-123"}).status_code
        == 200
    )
    assert (
        api.request("PUT", "/staff/clerk1", "supervisor", {"name": "x", "role": "clerk"}).status_code == 403
    )
    assert api.request("PUT", "/staff/bad name", "manager", PERSON).status_code == 422


def test_a_device_token_works_until_revoked(api):
    devices = {d["id"]: d for d in api.get("/devices", "supervisor").get_json()}
    assert devices["K1"]["kind"] == "kiosk" and devices["K1"]["printers"][0]["status"]
    issued = api.post("/devices/K1/tokens", "manager")
    assert issued.status_code == 201
    token = issued.get_json()
    assert token["url"].endswith(f"/kiosk/K1?token={token['token']}")
    api.tokens["new kiosk"] = token["token"]
    assert api.get("/printers", "new kiosk").status_code == 200
    listed = {d["id"]: d for d in api.get("/devices", "manager").get_json()}["K1"]["tokens"]
    assert listed[0]["id"] == token["id"] and listed[0]["revoked_at"] is None

    assert api.request("DELETE", f"/tokens/{token['id']}", "supervisor").status_code == 403
    assert api.request("DELETE", f"/tokens/{token['id']}", "manager").status_code == 200
    assert api.get("/printers", "new kiosk").status_code == 401
    assert api.request("DELETE", f"/tokens/{token['id']}", "manager").status_code == 409
    assert api.post("/devices/NOPE/tokens", "manager").status_code == 404


def test_a_persons_token_is_theirs_or_an_admins_to_issue(api):
    assert api.post("/staff/clerk2/tokens", "manager").status_code == 403
    own = api.post("/staff/manager/tokens", "manager").get_json()
    assert own["url"] is None
    issued = api.post("/staff/supervisor/tokens", "admin").get_json()
    assert api.request("DELETE", f"/tokens/{issued['id']}", "manager").status_code == 403
    api.tokens["supervisor again"] = issued["token"]
    assert api.get("/staff", "supervisor again").status_code == 200
    assert api.request("DELETE", f"/tokens/{issued['id']}", "admin").status_code == 200
    assert api.get("/staff", "supervisor again").status_code == 401


class _ExpiringBetweenLooks(dict):
    """A token cache whose entry is there when asked with `in` and has expired when read: what
    a TTL cache does when its time runs out between the two looks."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> object:
        raise KeyError(key)


def test_a_cached_token_expiring_as_it_is_read_still_authenticates(app, api):
    api.token("device:K1")
    app.extensions["hallq"].token_cache = _ExpiringBetweenLooks()
    assert api.get("/printers", "device:K1").status_code == 200


def test_nobody_resets_the_password_of_an_equal_or_higher_and_managers_leave_supervisors_alone(api):
    """Whoever sets a password can log in as its owner."""
    cases = [
        ("manager", "clerk1", "only an admin may reset another person's password"),
        ("manager", "supervisor", "only an admin may reset another person's password"),
        ("manager", "admin", "only an admin may reset another person's password"),
        ("admin", "supervisor", "nobody resets the password of an account of equal or higher standing"),
        ("supervisor", "clerk1", "not allowed for supervisor"),  # a supervisor reads, never changes
    ]
    for who, whose, message in cases:
        refused = api.request("PUT", f"/staff/{whose}/password", who, {"password": "taken-over-12"})
        assert refused.status_code == 403 and message in refused.get_json()["message"], (who, whose)
    assert (
        api.request("PUT", "/staff/clerk1/password", "admin", {"password": "reset-by-admin-1"}).status_code
        == 200
    )
    assert (
        api.request("PUT", "/staff/manager/password", "manager", {"password": "my-own-new-1"}).status_code
        == 200
    )
    supervisor = {"name": "supervisor名", "role": "supervisor", "active": False}
    refused = api.request("PUT", "/staff/supervisor", "manager", supervisor)
    assert refused.status_code == 403 and "supervisor" in refused.get_json()["message"]
    made = api.request("PUT", "/staff/newsupervisor", "manager", {**supervisor, "password": "password-123"})
    assert made.status_code == 403


def test_accounts_are_listed_in_their_usernames_natural_order(api):
    """clerk2 before clerk10, as people count, not as strings sort."""
    for username in ("clerk10", "clerk2"):
        person = {"name": username, "badge": username, "role": "clerk", "password": "Window-Pass-2026"}
        assert api.request("PUT", f"/staff/{username}", "manager", person).status_code in (200, 201)
    listed = [s["username"] for s in api.get("/staff", "manager").get_json()]
    assert listed.index("clerk2") < listed.index("clerk10")
    clerks = [name for name in listed if name.startswith("clerk")]
    assert clerks == sorted(clerks, key=lambda name: int(name.removeprefix("clerk")))
