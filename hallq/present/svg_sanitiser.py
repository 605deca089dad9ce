"""A floor plan as a manager or the hall's IT person drew it, reduced to a drawing: an allowlist of
SVG elements and attributes is rebuilt into a new document and everything else is left out and
counted, so that the upload and `hallq check-config` can say what the kiosks will not show.

What is kept cannot run, fetch or restyle anything: no script, event handler, animation, embedded
document, <style>, <image> or element of another namespace (XHTML's <base>, <meta>, <link>);
links (href, url(…)) only to a part of the plan itself (#id); style="" only with the drawing
properties below, whose values may name colours, lengths and url(#id) and nothing that loads.
A plan is refused only when it is no drawing at all: not well-formed, an XML entity or external
reference (billion laughs, XXE: defusedxml refuses them before any expansion), or not <svg>.

style="" is filtered rather than dropped: drawing programs (Inkscape) keep every colour there, and
a plan without them is drawn all black. A declaration reaches only its own element, and its value
is held to the same rule as a presentation attribute's."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
# Prefixes to name left-out things by, as the file probably wrote them.
PREFIXES = {
    SVG: "",
    XLINK: "xlink:",
    XML: "xml:",
    "http://www.w3.org/1999/xhtml": "html:",
    "http://www.inkscape.org/namespaces/inkscape": "inkscape:",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd": "sodipodi:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
}

ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc",
    "rect", "circle", "ellipse", "line", "polyline", "polygon", "path",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
    "filter", "feGaussianBlur", "feOffset", "feFlood", "feComposite", "feMerge", "feMergeNode",
    "feBlend", "feColorMatrix", "feDropShadow",
}  # fmt: skip
# A link is a group: its drawing stays, its href goes (counted).
AS_GROUP = {"a"}
# Elements whose href names another element of the plan (a shape to repeat, a gradient to extend).
LINKING = {"use", "textPath", "linearGradient", "radialGradient", "pattern", "filter"}

# Properties that only draw: presentation attributes, and the declarations style="" may keep.
DRAWING = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "opacity", "color",
    "display", "visibility", "font-family", "font-size", "font-weight", "font-style", "font-variant",
    "font-stretch", "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift",
    "letter-spacing", "word-spacing", "text-decoration", "writing-mode", "direction", "stop-color",
    "stop-opacity", "clip-path", "clip-rule", "mask", "marker-start", "marker-mid", "marker-end",
    "filter", "flood-color", "flood-opacity", "lighting-color", "color-interpolation-filters",
    "vector-effect", "paint-order", "shape-rendering", "text-rendering", "image-rendering",
    "overflow", "transform", "transform-origin", "mix-blend-mode", "isolation",
}  # fmt: skip
GEOMETRY = {
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "width", "height",
    "d", "points", "pathLength", "viewBox", "preserveAspectRatio", "dx", "dy", "rotate", "textLength",
    "lengthAdjust", "startOffset", "method", "spacing", "side", "offset", "gradientUnits",
    "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits", "patternTransform",
    "clipPathUnits", "maskUnits", "maskContentUnits", "markerWidth", "markerHeight", "markerUnits",
    "refX", "refY", "orient", "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation",
    "mode", "operator", "k1", "k2", "k3", "k4", "type", "values", "version", "baseProfile",
}  # fmt: skip
# Free text, never read as CSS: kept as written (serialisation escapes it).
NAMES = {"id", "class", "role", "lang", "aria-label", "aria-labelledby", "aria-describedby"}
ATTRIBUTES = DRAWING | GEOMETRY | NAMES
XML_ATTRIBUTES = {f"{{{XML}}}space", f"{{{XML}}}lang"}
HREFS = {"href", f"{{{XLINK}}}href"}

FRAGMENT = re.compile(r"#[\w.:-]+")
# url(#id), quoted or not: the one reference a value may hold.
FRAGMENT_URL = re.compile(r"""url\(\s*(["']?)#[\w.:-]+\1\s*\)""", re.IGNORECASE)
CSS_FUNCTION = re.compile(r"([\w-]+)\s*\(")
# Colours and transforms; anything else that looks like a function (image(), image-set(),
# attr(), expression(), element()) might load or compute, and is left out.
FUNCTIONS = {"rgb", "rgba", "hsl", "hsla", "matrix", "translate", "scale", "rotate", "skewx", "skewy"}

Kind = Literal["element", "attribute", "link", "value"]


@dataclass(frozen=True)
class Removal:
    kind: Kind  # element, attribute, link (an href or url() not to #id) or value (CSS that may load)
    what: str  # '<script>', '<rect onclick>', '<use href>', '<rect style="behavior">'
    count: int


@dataclass(frozen=True)
class CleanPlan:
    root: ET.Element  # the rebuilt drawing, shared by callers (copy it before changing it)
    removed: tuple[Removal, ...]

    @property
    def ids(self) -> set[str]:
        return {ident for element in self.root.iter() if (ident := element.get("id"))}

    def serialised(self, root: ET.Element | None = None) -> bytes:
        """The plan (or a changed copy of its root) as an SVG file."""
        return ET.tostring(self.root if root is None else root, encoding="unicode").encode()


class PlanRefused(ValueError):
    """Not a drawing: `reason` is not_xml, entities or not_svg; `detail` the parser's words."""

    def __init__(self, reason: Literal["not_xml", "entities", "not_svg"], detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@lru_cache(maxsize=8)  # the kiosks ask for the same plan on every item they show
def sanitise(data: bytes) -> CleanPlan:
    removed: Counter[tuple[Kind, str]] = Counter()
    builder = _Builder(removed)
    # Entities and external references refused; a bare <!DOCTYPE svg PUBLIC …> as older
    # editors write it is read (expat fetches nothing) and not written back.
    parser = SafeET.DefusedXMLParser(
        target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        source = parser.close()
    except DefusedXmlException as exc:
        raise PlanRefused("entities", type(exc).__name__) from exc
    except (ET.ParseError, LookupError) as exc:  # LookupError: an encoding Python does not know
        raise PlanRefused("not_xml", str(exc)) from exc
    if source.tag != f"{{{SVG}}}svg":
        raise PlanRefused("not_svg", _name(source.tag))
    root = _element(source, removed)
    assert root is not None  # <svg> is on the list
    root.set("xmlns", SVG)
    return CleanPlan(root, tuple(Removal(kind, what, n) for (kind, what), n in removed.items()))


class _Builder(ET.TreeBuilder):
    """The parsed tree, counting the processing instructions it leaves out (<?xml-stylesheet?>
    would fetch a stylesheet); comments are left out unsaid."""

    def __init__(self, removed: Counter[tuple[Kind, str]]) -> None:
        super().__init__()
        self.removed = removed

    def pi(self, target: str, text: str | None = None) -> ET.Element:
        self.removed["element", f"<?{target}?>"] += 1
        return super().pi(target, text)  # not inserted in the tree (insert_pis is False)


def _element(source: ET.Element, removed: Counter[tuple[Kind, str]]) -> ET.Element | None:
    """The element rebuilt from what is allowed in it; None (counted) when it is not allowed."""
    name = _name(source.tag)
    tag = name if source.tag.startswith(f"{{{SVG}}}") else None
    if tag in AS_GROUP:
        tag = "g"
    if tag not in ELEMENTS:
        removed["element", f"<{name}>"] += 1
        return None
    out = ET.Element(tag)
    for attribute, value in source.attrib.items():
        kept = _attribute(tag, name, attribute, value, removed)
        if kept is not None:
            out.set(*kept)
    out.text = source.text
    previous: ET.Element | None = None
    for child in source:
        cleaned = _element(child, removed)
        if cleaned is not None:
            cleaned.tail = child.tail
            out.append(cleaned)
            previous = cleaned
        elif child.tail:  # the text after a left-out element is its parent's
            if previous is None:
                out.text = (out.text or "") + child.tail
            else:
                previous.tail = (previous.tail or "") + child.tail
    return out


def _attribute(
    tag: str, written: str, attribute: str, value: str, removed: Counter[tuple[Kind, str]]
) -> tuple[str, str] | None:
    """The attribute as kept on `tag` (the element `written` as <a> becomes a <g>), or None."""
    where = f"<{written} {_name(attribute)}>"
    if attribute in HREFS:
        if tag in LINKING and FRAGMENT.fullmatch(value):
            return "href", value  # SVG 2's href, which every browser the hall runs reads
        removed["link", where] += 1
        return None
    if attribute in XML_ATTRIBUTES:
        return attribute, value
    if attribute == "style":
        return _style(written, value, removed)
    if attribute not in ATTRIBUTES:  # on* handlers, other namespaces, anything unknown
        removed["attribute", where] += 1
        return None
    if attribute not in NAMES and not _drawing_value(value):
        removed["link" if "url(" in value.lower() else "value", where] += 1
        return None
    return attribute, value


def _style(written: str, style: str, removed: Counter[tuple[Kind, str]]) -> tuple[str, str] | None:
    kept = []
    for declaration in filter(str.strip, style.split(";")):
        prop, colon, value = declaration.partition(":")
        prop = prop.strip().lower()
        if colon and prop in DRAWING and _drawing_value(value):
            kept.append(f"{prop}:{value.strip()}")
        else:
            removed["value", f'<{written} style="{prop or declaration.strip()}">'] += 1
    return ("style", ";".join(kept)) if kept else None


def _drawing_value(value: str) -> bool:
    """Colours, lengths, keywords, transforms and url(#id): nothing a browser would fetch or run.
    Backslashes (CSS escapes spell url( as \\75 rl( ) and comments are refused outright."""
    if any(mark in value for mark in ("\\", "/*", "@", "<", "{", "}")):
        return False
    rest = FRAGMENT_URL.sub("", value)
    return all(name.lower() in FUNCTIONS for name in CSS_FUNCTION.findall(rest))


def _name(qualified: str) -> str:
    """'{http://www.w3.org/1999/xhtml}base' → 'html:base', as the file may have written it."""
    if not qualified.startswith("{"):
        return qualified
    namespace, local = qualified[1:].split("}", 1)
    return PREFIXES.get(namespace, f"{{{namespace}}}") + local
