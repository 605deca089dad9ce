"""Every staff page in Chromium against the live hall, in Chinese (zh-CN): a crawler reads
each page's visible text and labels and fails on English (tests/english_words.py), and axe-core
(tests/vendor/) finds no serious or critical violation. Left out of the reading: what is shown
as code (a JSON detail, a username, an identifier in <code> or <pre>), what is marked English on
purpose (lang="en": a queue's English name, the catalogue's English fields), and codes in
capitals (queue and department codes such as GA or CRJ, booking codes, and the names of file
formats: CSV, XLSX, JSON), which Chinese screens write in Latin letters."""

from __future__ import annotations

import html
import re

import pytest
import requests

from queue_core.models import Role
from tests.english_words import english_in
from tests.live.conftest import LiveHall, log_in
from tests.live.test_accessibility import axe_violations

pytestmark = pytest.mark.browser

# The page as a person reads it, without what is shown as code.
STAFF_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("pre, code, script, style, [hidden], [lang='en']").forEach((node) => node.remove());
  return [
    document.title,
    body.innerText,
    ...[...document.querySelectorAll("[title], [aria-label], [placeholder], [alt]")]
      .filter((node) => !node.closest("pre, code, [lang='en']"))
      .flatMap((node) => ["aria-label", "placeholder", "alt"].map((name) => node.getAttribute(name) || "")),
  ].join("\\n");
}"""

# Up to a booking code's 8 letters and a little more. Bounded by any non-Latin character, not
# \b: a table cell's text runs straight into its neighbour's ("张三FWDPCVJK"), and to Python's
# re a Chinese character is a word character, so \b finds no edge there.
CODES = re.compile(r"(?<![A-Za-z])[A-Z]{2,12}(?![A-Za-z])")

PAGES = {
    "manager": [
        "/manager/",
        "/manager/reports",
        "/manager/reports?group_by=window&view=all",
        "/manager/reports/print",
        "/manager/plan",
        "/manager/audit",
        "/manager/admin/windows",
        "/manager/admin/queues",
        "/manager/admin/departments",
        "/manager/admin/items",
        "/manager/admin/items/new",
        "/manager/admin/staff",
        "/manager/admin/devices",
        "/manager/admin/notices",
        "/manager/admin/map",
        "/manager/admin/calendar",
        "/manager/admin/bookings",
        "/evaluation/cases",
        "/guide/",
        "/password",
    ],
    "crawl_clerk": ["/panel/"],
    "crawl_city": ["/city/"],
}


@pytest.fixture(scope="module")
def staff(live: LiveHall) -> LiveHall:
    for username, role in (("crawl_clerk", Role.CLERK), ("crawl_city", Role.CITY)):
        live.hallq("user", "add", username, "--role", role, "--name", "巡检员", "--password-stdin",
                   input="password-123\n")  # fmt: skip
    return live


def people_of(hall: LiveHall) -> list[str]:
    """The hall's usernames, badges and names, longest first: the test hall's people are named
    in Latin letters after their usernames ("guide名", "land-admin"), which are data, not
    English. They are taken out of the text before it is read."""
    found: set[str] = set()
    for person in hall.api("GET", "/staff", "manager").json():
        found |= {person["username"], person.get("badge") or "", person["name"]}
    return sorted(filter(None, found), key=len, reverse=True)


def without(text: str, names: list[str]) -> str:
    """The text with each name taken out where it stands whole (not inside another word)."""
    for name in names:
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", " ", text)
    return text


@pytest.mark.parametrize("who", list(PAGES))
def test_every_staff_page_is_chinese_and_accessible(staff, page, who):
    found: dict[str, list[str]] = {}
    people = people_of(staff)
    first, *rest = PAGES[who]
    log_in(page, staff.url, first, who if who != "manager" else "manager")
    for path in [first, *rest]:
        if path != first:
            page.goto(f"{staff.url}{path}")
        page.wait_for_load_state("networkidle")
        english = english_in(CODES.sub(" ", without(page.evaluate(STAFF_TEXT), people)))
        problems = [f"English: {e}" for e in english] + axe_violations(page)
        if problems:
            found[path] = problems
    assert not found, "\n".join(f"{path}: {p}" for path, problems in found.items() for p in problems)


def test_a_refusal_on_a_staff_page_is_chinese(staff):
    """A clerk who opens the manager's pages is refused in Chinese, in the hall's page."""
    token = staff.tokens["clerk1"]
    refused = requests.get(
        f"{staff.url}/manager/reports",
        headers={"Authorization": f"Bearer {token}", "Accept": "text/html", "Accept-Language": "zh-CN"},
        timeout=10,
    )
    assert refused.status_code == 403
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", refused.text.split("<body", 1)[-1], flags=re.S)
    shown = html.unescape(re.sub(r"<[^>]+>", " ", body))
    assert re.search(r"[\u4e00-\u9fff]", shown) and not english_in(shown), shown
