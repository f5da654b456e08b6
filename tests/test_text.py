import pytest

from lookup.text import clean_text, safe_cell


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, ""),
        ("", ""),
        ("  Dr. Müller  ", "Dr. Müller"),
        ("\x1b]0;pwned\x07Pharmacy", "]0;pwned Pharmacy"),
        ("line\nbreak\r\nand\u2028sep", "line break and sep"),
        ("\u202eevil\u202c name", "evil name"),
        ("zero\u200bwidth\ufeff", "zero width"),
        ("bad \ud800 surrogate", "bad surrogate"),
        ("many    spaces\there", "many spaces here"),
        ("東京 クリニック", "東京 クリニック"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_clean_text_limit_and_output_encodes():
    out = clean_text("x" * 500 + "\x1b", limit=60)
    assert out == "x" * 60
    clean_text("a\ud800b").encode("utf-8")  # never raises


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1 scam", "'+1 scam"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Pharmacy", "Pharmacy"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_cell(raw, expected):
    assert safe_cell(raw) == expected


def test_read_tally_counts_past_the_kept_reasons():
    from lookup.models import MAX_PROBLEMS, ReadTally

    tally = ReadTally()
    assert tally.summary() == ""
    tally.skip("line 3", "bad date")
    assert tally.summary() == "skipped 1 row (line 3: bad date)"
    for i in range(MAX_PROBLEMS + 5):
        tally.skip(f"line {i}", "junk")
    assert tally.skipped == MAX_PROBLEMS + 6
    assert len(tally.problems) == MAX_PROBLEMS
    assert tally.summary().startswith(f"skipped {MAX_PROBLEMS + 6} rows (line 3: bad date; ")
    assert tally.summary().endswith("; ...)")


def test_plural_and_describe_start():
    from lookup.text import describe_start, plural

    assert [plural(1, "file"), plural(2, "file"), plural(3, "search"), plural(1200, "row")] == [
        "1 file", "2 files", "3 searches", "1,200 rows"]
    assert describe_start("") == "the file is empty"
    assert describe_start("\x00\x01\x02\ufffd\ufffdjunk") == "it is not text (binary data)"
    assert describe_start("\x1b]0;title\x07Hello,World") == "it starts with ']0;title Hello,World'"
