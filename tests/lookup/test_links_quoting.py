"""Issue 15: the web-search links every JSON answer carries quote the number through a table
for ASCII text; the result must be exactly ``quote_plus``'s for any text."""

from __future__ import annotations

import random
from urllib.parse import quote_plus

from lookup.results import quote_query


def test_quoting_is_quote_plus_for_any_text() -> None:
    rng = random.Random(15)
    texts = ['"+1 404-621-4055"', '"(404) 621-4055"', '"030 123456 ext. 12"', "a b+c/d?e=f&g%h~i", "".join(map(chr, range(128))),
             "Zürich 044", "\u200b+1 202"]
    texts += ["".join(chr(rng.randrange(0, 400)) for _ in range(rng.randrange(0, 16))) for _ in range(3000)]
    for text in texts:
        assert quote_query(text) == quote_plus(text), text
