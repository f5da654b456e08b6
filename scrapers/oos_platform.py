"""The OctoNet "oos_" platform that runs 800notes.com and whocallsme.com.

A number page lists comments inside ``.oos_contletList``: ``li.oos_contlet``
items since 2019, ``div.oos_contlet`` in 2015; both are read. Each real comment
has a ``div.oos_contletBody`` and a ``<time>``, and ``ul.callDetails li`` lines
read "Caller: X" / "Call type: Y". Ad slots reuse the item class without a body
and are skipped.

Not listed versus layout changed: every page the platform serves sits in its
frame (``#oos_page`` or the ``oos_im`` meta tag). A page in that frame without
a single real comment is a number nobody has reported (``not_found``); a 200
page without the frame is ``layout_changed``, and so is a frame whose comment
list holds text-bearing items the parser cannot read (items that lost their
body element, or items in an unknown markup).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lookup.models import Comment, Finding, Number, Status
from scrapers.base import LayoutChanged, Page, Request, Source
from scrapers.community_parse import (
    NANP_REGIONS, category_of, check_status, clean_text, excerpt_of,
    iso_date, make_soup, plural, real_name, saturate, text_of,
)

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

MAX_COMMENTS = 50
MAX_COMMENT_CHARS = 4000
_CALLER = re.compile(r"^caller\s*:\s*(.+)$", re.IGNORECASE)
_CALL_TYPE = re.compile(r"^call\s*type\s*:\s*(.+)$", re.IGNORECASE)
_PAGE_LINK = re.compile(r"/(?:1-\d{3}-\d{3}-\d{4}|\d{10})/(\d{1,4})/?$")


def has_frame(soup: BeautifulSoup) -> bool:
    return bool(soup.find(id="oos_page") or soup.find("meta", attrs={"name": "oos_im"}))


def _multiline_text(tag: Tag) -> str:
    for br in tag.find_all("br"):
        br.replace_with("\n")
    for block in tag.find_all(["p", "div", "li"]):
        block.append("\n")
    lines = (clean_text(line) for line in tag.get_text().splitlines())
    return "\n".join(line for line in lines if line)[:MAX_COMMENT_CHARS]


def iso_moment(value: str | None) -> str | None:
    """An ISO timestamp from a ``<time datetime>`` value, else a date from its text."""
    value = clean_text(value)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat(timespec="seconds")
    except ValueError:
        return iso_date(value)


def parse_comment(item: Tag) -> Comment | None:
    """One ``li.oos_contlet`` as a plain-text Comment; None for an ad slot."""
    body = item.select_one("div.oos_contletBody")
    if body is None:
        return None
    caller = call_type = None
    for line in item.select("ul.callDetails li"):
        text = text_of(line)
        if m := _CALLER.match(text):
            caller = m.group(1).strip()
        elif m := _CALL_TYPE.match(text):
            call_type = m.group(1).strip()
    for details in body.select("ul.callDetails"):
        details.extract()
    stamp = item.find("time")
    at = None
    if stamp is not None:
        at = iso_moment(stamp.get("datetime")) or iso_date(text_of(stamp))
    return Comment(text=_multiline_text(body), at=at, caller=caller or None, call_type=call_type or None)


ITEMS = "li.oos_contlet, div.oos_contlet"  # 2019 and later; 2015
UNREAD_TEXT_CHARS = 80  # an unread item with more text than this is a comment we failed to read


def parse_comments(soup: BeautifulSoup) -> list[Comment]:
    """Real comments in page order. Raises LayoutChanged when none could be read but the
    comment list holds text: items that lost their body, or items in an unknown markup."""
    comments: list[Comment] = []
    bodiless_with_text = 0
    for item in soup.select(ITEMS):
        comment = parse_comment(item)
        if comment is not None:
            comments.append(comment)
        elif not item.select_one(".oos_ad") and len(text_of(item)) > UNREAD_TEXT_CHARS:
            bodiless_with_text += 1
    if comments:
        return comments
    if bodiless_with_text:
        raise LayoutChanged("comment items no longer have div.oos_contletBody")
    for container in soup.select(".oos_contletList"):
        for child in container.find_all(recursive=False):
            classes = child.get("class") or []
            if "oos_contlet" not in classes and len(text_of(child)) > UNREAD_TEXT_CHARS:
                raise LayoutChanged(f"comment list items in an unknown layout (<{child.name} class={' '.join(classes)[:40]!r}>)")
    return comments


def newest_first(comments: list[Comment] | tuple[Comment, ...]) -> tuple[Comment, ...]:
    dated = sorted((c for c in comments if c.at), key=lambda c: c.at or "", reverse=True)
    return tuple(dated + [c for c in comments if not c.at])[:MAX_COMMENTS]


def page_count(soup: BeautifulSoup) -> int:
    pages = [int(m.group(1)) for a in soup.find_all("a", href=True) if (m := _PAGE_LINK.search(a["href"]))]
    return max([1, *pages])


def summarize(comments: tuple[Comment, ...], pages: int) -> dict[str, Any]:
    """Finding fields from the comments: reports, spam, categories, name, detail."""
    # A page 2 means page 1 is full: every earlier page holds as many as this one.
    reports = len(comments) * (pages - 1) + 1 if pages > 1 else len(comments)
    types = [c.call_type for c in comments if c.call_type]
    weights = [0.0 if "valid" in t.lower() else (1.0 if category_of(t) else 0.5) for t in types]
    share = sum(weights) / len(weights) if weights else 0.7
    spam = round(saturate(reports, 3) * (0.3 + 0.7 * share), 3)
    names = Counter(name for c in comments if (name := real_name(c.caller)))
    type_counts = Counter(types)
    detail = plural(reports, "report")
    if len(type_counts) == 1:
        detail += f", call type {types[0]}"
    elif type_counts:
        detail += f", mostly {type_counts.most_common(1)[0][0]}"
    by_count = Counter(c for c in (category_of(t) for t in types) if c is not None)
    return {
        "reports": reports,
        "spam": spam,
        "categories": tuple(c.value for c, _ in by_count.most_common()),
        "name": names.most_common(1)[0][0] if names else None,
        "last_reported": max((c.at[:10] for c in comments if c.at), default=None),
        "detail": detail,
        "facts": {"comments_on_page": len(comments), "pages": pages, "call_types": dict(Counter(types))},
    }


class OosSource(Source):
    """A source on the oos platform; subclasses give the name and the number page URL."""

    regions = NANP_REGIONS

    def number_path(self, number: Number) -> str:
        raise NotImplementedError

    def comments_url(self, number: Number) -> str:
        return f"{self.base_url}{self.number_path(number)}"

    def request(self, number: Number) -> Request:
        return Request(url=self.comments_url(number), expect="html")

    def request_page(self, number: Number, page: int) -> Request:
        """Page ``page`` (2 and later) of the comments, for ``--deep``."""
        first = self.request(number).url
        return Request(url=first if page <= 1 else f"{first}/{page}", expect="html")

    def deep_request(self, finding: Finding, number: Number) -> Request | None:
        """Page 2 of the comments when the site says there is one."""
        if finding.status is Status.FOUND and int(finding.facts.get("pages") or 0) > 1:
            return self.request_page(number, 2)
        return None

    def merge(self, first: Finding, later: Finding) -> Finding:
        return merge_pages(first, later)

    def parse(self, page: Page, number: Number) -> Finding:
        check_status(page)
        soup = make_soup(page.body)
        comments = newest_first(parse_comments(soup))
        if not comments:
            if not has_frame(soup):
                raise LayoutChanged("no oos_ page frame and no comments (page layout changed?)")
            excerpt = text_of(soup.select_one("#oos_content") or soup.body)
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="no reports",
                                excerpt=excerpt_of(excerpt), facts={"pages": 0})
        fields = summarize(comments, page_count(soup))
        return self.finding(number, Status.FOUND, url=page.url, comments=comments,
                            excerpt=excerpt_of(comments[0].text), **fields)


def merge_pages(first: Finding, later: Finding) -> Finding:
    """Add the comments of a later page (``--deep``) to the first page's finding."""
    if later.status is not Status.FOUND or first.status is not Status.FOUND:
        return first
    seen = {(c.text, c.at) for c in first.comments}
    extra = [c for c in later.comments if (c.text, c.at) not in seen]
    return replace(first, comments=newest_first([*first.comments, *extra]),
                   reports=max(first.reports or 0, len(first.comments) + len(extra)))

