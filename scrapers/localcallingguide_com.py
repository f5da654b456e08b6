"""Local Calling Guide: who holds a NANP prefix (NPA-NXX): carrier, company type, rate centre.

``GET /xmlprefix.php?npa=NPA&nxx=NXX``. The answer is ``<root><inputdata/>
<prefixdata/>*</root>``, but some answers come without ``inputdata`` (captured
from the real site, 2026-12), so the answer is decided from the ``prefixdata``
elements alone. Zero ``prefixdata`` means no carrier holds the prefix, so a
call "from" it had a forged caller ID (found, ``assigned`` False, a high spam
signal); an unassigned prefix can also come back as a bare ``<root></root>``.
``<root><error>text</error></root>`` is an error with that text; a root with
other elements only is layout_changed. The carrier is not the caller: ``name`` stays empty and an
assigned prefix carries no spam signal of its own.

Answers are per prefix, not per number: :meth:`LocalCallingGuide.cache_key`
names the block (``"780-809"``), the engine fetches each block once per batch
and keeps the facts in the ``prefixes`` table for 90 days;
:meth:`LocalCallingGuide.prefix_finding` turns stored facts back into a
finding for any number of that block.

XML safety: real answers start with an internal DOCTYPE declaring about a
hundred HTML entities, and its content model omits ``company-type``, so it is
never validated. The DOCTYPE is cut out, references to known HTML entity names
are replaced by their characters, and the rest is parsed by defusedxml with
DTDs forbidden: nothing the document declares is ever expanded, so an entity
bomb fails to parse (layout_changed) instead of eating memory.
"""

from __future__ import annotations

import re
from html.entities import name2codepoint
from typing import TYPE_CHECKING, Any

from lookup.models import CachedPrefix, EvidenceKind, Finding, Number, SourceKind, Status
from scrapers.base import Case, LayoutChanged, Page, PrefixSource, Request, SourceError
from scrapers.community_parse import NANP_REGIONS, clean_text
from scrapers.complaints import is_nanp

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

COMPANY_TYPES = {"I": "ILEC", "C": "CLEC", "W": "wireless", "R": "RBOC", "B": "cable", "P": "paging"}
TYPE_WORDS = {
    "ILEC": "incumbent carrier (ILEC)",
    "CLEC": "competitive carrier (CLEC)",
    "wireless": "wireless carrier",
    "RBOC": "regional Bell carrier",
    "cable": "cable carrier",
    "paging": "paging carrier",
}
# prefixdata child -> fact name
FIELDS = {
    "ocn": "ocn",
    "company-name": "company",
    "rc": "rate_centre",
    "region": "region",
    "lata": "lata",
    "switch": "switch",
    "ilec-name": "ilec",
    "effdate": "effective",
    "discdate": "disconnected",
}
UNASSIGNED_SPAM = 0.95
MAX_XML_CHARS = 1_000_000
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DOCTYPE = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)
_SUBSET_END = re.compile(r"\]\s*>")
_ENTITY_REF = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_OWN = frozenset({"amp", "lt", "gt", "quot", "apos"})


def strip_doctype(text: str) -> str:
    """``text`` without its XML declaration and DOCTYPE (internal subset included)."""
    text = _XML_DECLARATION.sub("", text, count=1)
    match = _DOCTYPE.search(text)
    if match is None:
        return text
    close = text.find(">", match.end())
    bracket = text.find("[", match.end())
    if bracket != -1 and (close == -1 or bracket < close):
        end = _SUBSET_END.search(text, bracket)
        if end is None:
            raise LayoutChanged("the answer's DOCTYPE never ends")
        return text[: match.start()] + text[end.end() :]
    if close == -1:
        raise LayoutChanged("the answer's DOCTYPE never ends")
    return text[: match.start()] + text[close + 1 :]


def replace_html_entities(text: str) -> str:
    """``&eacute;`` -> ``é`` for HTML 4 entity names; XML's own five and unknown names stay as written."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_OWN or name not in name2codepoint:
            return match.group(0)
        return chr(name2codepoint[name])

    return _ENTITY_REF.sub(one, text)


def parse_xml(body: str) -> Element:
    """The root element, parsed without any DTD or entity expansion; LayoutChanged if unreadable."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException
    from xml.etree.ElementTree import ParseError

    if len(body) > MAX_XML_CHARS:
        raise LayoutChanged(f"the answer is larger than {MAX_XML_CHARS:,} characters")
    text = replace_html_entities(strip_doctype(body))
    try:
        return SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as exc:
        raise LayoutChanged(f"the answer is not readable XML ({clean_text(str(exc))[:80]})") from None


def blocks_for(blocks: list[Element], key: str) -> list[Element]:
    """The ``prefixdata`` blocks of the asked prefix. A block naming another NPA-NXX means the
    answer is not about the number asked (with or without ``inputdata`` to say so)."""
    npa, nxx = key.split("-")
    named = [b for b in blocks if (b.findtext("npa") or "").strip() or (b.findtext("nxx") or "").strip()]
    mine = [b for b in named if (b.findtext("npa") or "").strip() == npa and (b.findtext("nxx") or "").strip() == nxx]
    if named and not mine:
        raise LayoutChanged(f"the answer's prefixdata is not about {key}")
    return mine or blocks


def pick_block(blocks: list[Element], digit: str) -> Element:
    """The thousands block holding the number (``x`` = its 7th digit), else the whole prefix (``A``)."""
    for wanted in (digit, "A"):
        for block in blocks:
            if (block.findtext("x") or "").strip().upper() == wanted:
                return block
    return blocks[0]


class LocalCallingGuide(PrefixSource):
    name = "localcallingguide_com"
    title = "Local Calling Guide"
    kind = SourceKind.PREFIX
    evidence = EvidenceKind.NUMBERING
    regions = NANP_REGIONS
    default_base_url = "https://localcallingguide.com"
    # Numbering-plan records, not opinions: an unassigned prefix is near-certain proof of spoofing.
    reliability = 0.9
    CANARIES = ("+17808091234", "+12024561111")  # two assigned prefixes (Edmonton, Washington DC)
    rate = 0.5
    ttl_found_days = 90.0
    ttl_not_found_days = 90.0

    def supports(self, number: Number) -> bool:
        return is_nanp(number)

    def cache_key(self, number: Number) -> str:
        """The prefix this source answers for: ``"NPA-NXX"``."""
        nsn = (number.e164 or "")[2:]
        return f"{nsn[:3]}-{nsn[3:6]}"

    def prefix_url(self, key: str) -> str:
        npa, nxx = key.split("-")
        return f"{self.base_url}/xmlprefix.php?npa={npa}&nxx={nxx}"

    def request(self, number: Number) -> Request:
        return Request(url=self.prefix_url(self.cache_key(number)), expect="xml")

    def parse(self, page: Page, number: Number) -> Finding:
        if page.status >= 400:
            raise SourceError(f"HTTP {page.status} from Local Calling Guide")
        root = parse_xml(page.body)
        if root.tag != "root":
            raise LayoutChanged(f"unexpected root element <{root.tag[:40]}>")
        error = root.find("error")
        if error is not None:
            raise SourceError(f"Local Calling Guide: {clean_text(''.join(error.itertext()))[:200] or 'error'}")
        blocks = root.findall("prefixdata")
        key = self.cache_key(number)
        if not blocks:
            others = sorted({child.tag for child in root if child.tag != "inputdata"})
            if others:
                raise LayoutChanged(f"no prefixdata, but <{'>, <'.join(others)[:60]}>")
            return self.prefix_finding(number, {"assigned": False, "prefix": key}, url=page.url)
        blocks = blocks_for(blocks, key)
        block = pick_block(blocks, (number.e164 or "")[8:9])
        facts: dict[str, Any] = {"assigned": True, "prefix": key}
        for tag, fact in FIELDS.items():
            value = clean_text(block.findtext(tag))[:120]
            if value:
                facts[fact] = value
        kind = clean_text(block.findtext("company-type")).upper()[:1]
        facts["company_type"] = COMPANY_TYPES.get(kind, kind or None)
        block_digit = clean_text(block.findtext("x")).upper()
        if block_digit and block_digit != "A":
            facts["block"] = f"{key}-{block_digit}"
        if "company" not in facts and "ocn" not in facts:
            raise LayoutChanged("prefixdata without company-name or ocn")
        return self.prefix_finding(number, facts, url=page.url)

    def prefix_finding(
        self, number: Number, facts: dict[str, Any], *, url: str | None = None, fetched_at: str | None = None,
        cached: bool = False,
    ) -> Finding:
        """The finding for ``number`` from a prefix's facts (fresh from :meth:`parse` or stored)."""
        key = facts.get("prefix") or self.cache_key(number)
        url = url or self.prefix_url(key)
        extra: dict[str, Any] = {"cached": cached}
        if fetched_at:
            extra["fetched_at"] = fetched_at
        if not facts.get("assigned", True):
            detail = f"the prefix {key} is not assigned to any carrier: the caller ID is spoofed"
            return self.finding(number, Status.FOUND, spam=UNASSIGNED_SPAM, url=url, detail=detail,
                                facts=dict(facts), **extra)
        kind = TYPE_WORDS.get(facts.get("company_type") or "", "carrier")
        where = " ".join(p for p in (facts.get("rate_centre"), facts.get("region")) if p)
        detail = f"{kind} {facts.get('company') or 'OCN ' + str(facts.get('ocn'))}"
        detail += f", rate centre {where}" if where else ""
        if facts.get("disconnected"):
            detail += f" (disconnected {facts['disconnected']})"
        return self.finding(number, Status.FOUND, url=url, detail=detail, facts=dict(facts), **extra)

    def cached_finding(self, number: Number, cached: CachedPrefix) -> Finding:
        """A stored prefix answer as a finding for ``number`` (marked cached)."""
        return self.prefix_finding(number, cached.facts, fetched_at=cached.fetched_at, cached=True)

    CASES = (
        Case("found", "npa780_nxx809.xml", "+17808091234", {
            "status": "found", "name": None, "spam": None,
            "detail": "competitive carrier (CLEC) Distributel Communications Ltd-AB, rate centre Edmonton AB",
            "facts": {"assigned": True, "prefix": "780-809", "ocn": "081E", "company_type": "CLEC",
                      "rate_centre": "Edmonton", "region": "AB", "lata": "888", "switch": "EDTNABMT4MD"},
        }, content_type="text/xml"),
        Case("error", "error.xml", "+17801091234", {"status": "error",
             "detail": "Local Calling Guide: NXX must be between 200 and 999."}, content_type="text/xml"),
        Case("unassigned", "unassigned.xml", "+17809591234", {
            "status": "found", "spam": UNASSIGNED_SPAM, "facts": {"assigned": False, "prefix": "780-959"},
            "detail": "the prefix 780-959 is not assigned to any carrier: the caller ID is spoofed",
        }, content_type="text/xml"),
        Case("wireless-block", "wireless_blocks.xml", "+12065550147", {
            "status": "found", "facts": {"company_type": "wireless", "block": "206-555-0"},
        }, content_type="text/xml"),
        Case("no-inputdata", "no_inputdata_780_809.xml", "+17808091234", {
            "status": "found", "detail": "competitive carrier (CLEC) Distributel Communications Ltd-AB, rate centre Edmonton AB",
            "facts": {"assigned": True, "prefix": "780-809", "ocn": "081E"},
        }, content_type="text/xml"),
        Case("bare-root-unassigned", "bare_root_unassigned.xml", "+17809591234", {
            "status": "found", "spam": UNASSIGNED_SPAM, "facts": {"assigned": False, "prefix": "780-959"},
        }, content_type="text/xml"),
        Case("other-prefix", "no_inputdata_780_809.xml", "+17809591234", {"status": "layout_changed"},
             content_type="text/xml"),
        Case("blocked", "blocked.html", "+17808091234", {"status": "blocked"}, http_status=503),
        Case("layout-changed", "layout_changed.xml", "+17808091234", {"status": "layout_changed"},
             content_type="text/xml"),
        Case("entity-bomb", "entity_bomb.xml", "+17808091234", {"status": "layout_changed"}, content_type="text/xml"),
    )
