"""The floor plan's sanitiser fed the known SVG attacks (tests/svg_attacks.py): what comes out
is the drawing, every window shape still there, and nothing that runs, loads or restyles; what it
left out is named. check-config and the upload refuse only what is no drawing at all."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from hallq.cli import main
from hallq.config_files import svg_problems
from hallq.present.hall_map import drawn_windows, lit_plan
from hallq.present.svg_sanitiser import PlanRefused, sanitise
from tests.conftest import DEMO_CONFIG
from tests.svg_attacks import ATTACKS, DEMO_PLAN

EVIL = "http://127.0.0.1:9"
WINDOWS = set(range(1, 17))
SVG_NS = "http://www.w3.org/2000/svg"
# Words no kept plan may hold, whatever case: a script, handler, loader or other document.
FORBIDDEN = re.compile(
    r"script|alert|pwned|127\.0\.0\.1|data:|xhtml|<style|@import|foreignobject|<set|<animate|<image"
    r"|<iframe|<embed|<object|<feimage|\son\w+=|refresh|behavior|image-set|\\",
    re.IGNORECASE,
)
DRAWN = [a for a in ATTACKS if not a.refused]


@pytest.mark.parametrize("attack", DRAWN, ids=lambda a: a.name)
def test_an_attack_is_left_out_and_the_drawing_kept(attack):
    assert FORBIDDEN.search(attack.plan(EVIL))  # what the check below looks for is there to find
    plan = sanitise(attack.plan(EVIL).encode())
    svg = plan.serialised().decode()
    assert not FORBIDDEN.findall(svg), svg
    # The one address left is the SVG namespace.
    assert re.findall(r"\w+://[^\"' ]*", svg) == [SVG_NS]
    assert drawn_windows(plan) == WINDOWS
    assert ET.fromstring(svg).find(f"{{{SVG_NS}}}title").text == "青山县政务服务中心一楼大厅示意图"
    named = {r.what for r in plan.removed}
    assert set(attack.left_out) <= named, named


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.refused], ids=lambda a: a.name)
def test_entities_and_external_references_are_refused_before_any_expansion(attack):
    with pytest.raises(PlanRefused) as refused:
        sanitise(attack.plan(EVIL).encode())
    assert refused.value.reason == "entities"
    assert svg_problems("plan.svg", attack.plan(EVIL).encode(), WINDOWS) == [
        f"plan.svg: XML entities and external references are not allowed ({refused.value.detail})"
    ]


def test_the_demo_plan_comes_through_whole():
    plan = sanitise(DEMO_PLAN.encode())
    assert plan.removed == ()
    source, kept = ET.fromstring(DEMO_PLAN), ET.fromstring(plan.serialised())
    assert [(e.tag, e.attrib, e.text) for e in source.iter()] == [
        (e.tag, e.attrib, e.text) for e in kept.iter()
    ]


def test_a_drawing_programs_plan_keeps_its_colours_links_and_text():
    inkscape = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
      xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
      xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" viewBox="0 0 100 50">
      <sodipodi:namedview pagecolor="#fff"/>
      <defs><linearGradient id="g"><stop offset="0" style="stop-color:#b3261e;stop-opacity:1"/></linearGradient>
        <rect id="box" width="20" height="20"/></defs>
      <g inkscape:label="Layer 1" inkscape:groupmode="layer">
        <rect id="window-1" style="fill:url(#g);stroke:#000000;stroke-width:2;cursor:url(x.cur)"/>
        <use xlink:href="#box" x="30" fill="url('#g') #fff"/>
        <text xml:space="preserve">一号<script>alert(1)</script>窗口<tspan>A</tspan>岗</text>
      </g></svg>"""
    plan = sanitise(inkscape.encode())
    root = ET.fromstring(plan.serialised())
    window = root.find(".//*[@id='window-1']")
    assert window.get("style") == "fill:url(#g);stroke:#000000;stroke-width:2"
    assert root.find(f".//{{{SVG_NS}}}use").attrib == {"href": "#box", "x": "30", "fill": "url('#g') #fff"}
    text = root.find(f".//{{{SVG_NS}}}text")
    assert "".join(text.itertext()) == "一号窗口A岗"
    assert text.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert {(r.kind, r.what, r.count) for r in plan.removed} == {
        ("element", "<sodipodi:namedview>", 1),
        ("attribute", "<g inkscape:label>", 1),
        ("attribute", "<g inkscape:groupmode>", 1),
        ("value", '<rect style="cursor">', 1),
        ("element", "<script>", 1),
    }


def test_lit_windows_and_the_kiosks_style_are_drawn_into_a_copy():
    plan = sanitise(DEMO_PLAN.encode())
    lit = ET.fromstring(lit_plan(plan, {4, 16}, ".lit rect { fill: gold }"))
    assert [e.get("id") for e in lit.iter() if "lit" in e.get("class", "").split()] == [
        "window-4",
        "window-16",
    ]
    assert lit.find(f"{{{SVG_NS}}}style").text == ".lit rect { fill: gold }"
    assert b"lit" not in plan.serialised()  # the cached plan is unchanged for the next kiosk


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'>", "plan.svg: not well-formed SVG: no element found"),
        (b"<?xml version='1.0' encoding='x-evil'?><svg/>", "plan.svg: not well-formed SVG: unknown encoding: x-evil"),
        (b"<svg><rect/></svg>", "plan.svg: the root element is not <svg> in the SVG namespace; it is <svg>"),
        (b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "plan.svg: the root element is not <svg> in the SVG namespace; it is <html:html>"),
        (DEMO_PLAN.replace('id="window-16"', 'id="window-61"').encode(), 'plan.svg: id="window-61": the hall has no window 61'),
        (DEMO_PLAN.replace('id="window-16"', 'id="window-x"').encode(), 'plan.svg: id="window-x": the hall has no window x'),
    ],
)  # fmt: skip
def test_what_is_no_drawing_or_names_no_window_is_refused(data, problem):
    assert any(p.startswith(problem) for p in svg_problems("plan.svg", data, WINDOWS))


def test_a_window_shape_that_only_a_script_would_add_does_not_count():
    hidden = DEMO_PLAN.replace('id="window-16"', 'id="lounge"').replace(
        "</svg>",
        '<foreignObject><rect xmlns="http://www.w3.org/2000/svg" id="window-16"/></foreignObject></svg>',
    )
    assert drawn_windows(sanitise(hidden.encode())) == WINDOWS - {16}


def test_check_config_names_what_the_kiosks_leave_out(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    plan = ATTACKS[0].plan(EVIL).replace('<rect class="floor"', '<rect onclick="x()" class="floor"')
    (config / "hall-map.svg").write_text(plan, encoding="utf-8")
    done = CliRunner().invoke(main, ["check-config", str(config)])
    assert done.exit_code == 0, done.output
    assert plan_notes(done.output) == [
        "hall-map.svg: left out <rect onclick>: attribute not kept: event handlers, other namespaces"
        " and unknown attributes are left out",
        "hall-map.svg: left out <script>: element not kept: a plan keeps only shapes, text, groups,"
        " gradients, clips and filters",
    ]
    assert plan_notes(CliRunner().invoke(main, ["check-config", str(DEMO_CONFIG)]).output) == []


def plan_notes(output: str) -> list[str]:
    """check-config's lines after its OK, but for the calendar's (whether next year's holidays
    are known depends on the date)."""
    return [line for line in output.splitlines()[1:] if not line.startswith("calendar:")]
