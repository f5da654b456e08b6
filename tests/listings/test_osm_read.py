"""Reading recorded Overpass answers: messy phone values, the area marker, runtime errors and
answers cut off part-way."""

from __future__ import annotations

import io

import pytest

from lookup.models import ReadTally
from scrapers.listing_json import AnswerError
from scrapers.osm import NoSuchArea, area_query, bbox_query, check_area, check_bbox, AreaError, read_places, split_phone_value

from .conftest import page


def read(name: str, **kwargs):
    tally = ReadTally()
    with open(page(name), encoding="utf-8") as stream:
        rows = list(read_places(stream, "US-DC", "US", tally, **kwargs))
    return rows, tally


def test_every_number_of_every_place_is_read_and_the_rest_counted() -> None:
    rows, tally = read("osm/us-dc.json", need_area=True)
    by_number = {(r.e164, r.ref) for r in rows}
    assert by_number == {
        ("+12025550143", "node/2044125441"),  # "+1 202-555-0143;+1 202 555 0144"
        ("+12025550144", "node/2044125441"),
        ("+12025550170", "way/248113391"),  # contact:phone "(202) 555-0170 ext 12": national, extension dropped
        ("+12025550181", "node/5123391002"),  # "," between two whole numbers
        ("+12025550182", "node/5123391002"),
        ("+12025550183", "node/5123391002"),  # mobile
        ("+492674546", "node/6120042113"),  # "+49 (0) 26 74 / 546": one number
        ("+49261123450", "node/6120042113"),  # "0261 12345-0" read in addr:country DE
        ("+12025550143", "relation/9001"),  # the same number at a second place
    }
    assert tally.read == 6
    assert tally.skipped == 2 and "ask at the counter" in tally.summary()


def test_a_place_keeps_its_name_kind_address_hours_and_position() -> None:
    rows, _ = read("osm/us-dc.json")
    pharmacy = next(r for r in rows if r.e164 == "+12025550144")
    assert (pharmacy.name, pharmacy.kind) == ("Foggy Bottom Pharmacy", "pharmacy")
    assert pharmacy.address == "1101 Connecticut Avenue Northwest, 20036 Washington"
    assert pharmacy.opening_hours == "Mo-Fr 08:00-18:00; Sa 09:00-13:00"
    assert (pharmacy.lat, pharmacy.lon) == (38.9007206, -77.0435131)
    dental = next(r for r in rows if r.ref == "way/248113391")
    assert (dental.lat, dental.lon) == (38.9052717, -77.0321534)  # a way's center
    school = next(r for r in rows if r.ref == "relation/9001")
    assert school.name == "Example Charter School"  # no name: the brand
    bakery = next(r for r in rows if r.e164 == "+492674546")
    assert bakery.address == "Hauptstr. 5"


@pytest.mark.parametrize("value,region,expected", [
    ("+1 202-555-0143;+1 202 555 0144", "US", ["+1 202-555-0143", "+1 202 555 0144"]),
    ("+1-202-555-0181, +1-202-555-0182", "US", ["+1-202-555-0181", "+1-202-555-0182"]),
    ("+49 (0) 26 74 / 546", "DE", ["+49 (0) 26 74 / 546"]),
    ("030 1234567 / 030 7654321", "DE", ["030 1234567", "030 7654321"]),
    ("(416) 640-2005", "CA", ["(416) 640-2005"]),
    (" ; 0207 758 4110 ;", "GB", ["0207 758 4110"]),
], ids=["semicolon", "comma", "slash-inside", "slash-between", "national", "empty-parts"])
def test_values_split_only_between_whole_numbers(value: str, region: str, expected: list[str]) -> None:
    assert split_phone_value(value, region) == expected


def test_a_runtime_error_remark_fails_the_read_after_the_elements() -> None:
    with pytest.raises(AnswerError, match="runtime error: Query timed out"):
        read("osm/runtime-error.json")


def test_an_area_code_that_matched_nothing_says_so() -> None:
    with pytest.raises(NoSuchArea, match="no area with the code US-DC"):
        read("osm/no-area.json", need_area=True)
    assert read("osm/no-area.json")[0] == []  # a file without the marker is only empty


def test_an_answer_cut_off_mid_element_is_an_error_not_fewer_places() -> None:
    text = page("osm/us-dc.json").read_text(encoding="utf-8")
    cut = text[: text.index("Logan Circle Dental")]
    tally = ReadTally()
    seen = []
    with pytest.raises(AnswerError, match="cut off"):
        for row in read_places(io.StringIO(cut), "US-DC", "US", tally):
            seen.append(row)
    assert len(seen) == 2  # what came before the cut was read, and the caller must not keep it


def test_not_json_at_all_is_refused_in_one_line() -> None:
    with pytest.raises(AnswerError, match="starts with '<'"):
        list(read_places(io.StringIO("<html><body>rate limited</body></html>"), "US-DC", "US", ReadTally()))


def test_areas_and_boxes_are_checked_before_any_query() -> None:
    assert check_area(" us-dc ") == "US-DC"
    assert 'area["ISO3166-2"="US-DC"]->.a;.a out ids;' in area_query("US-DC")
    assert 'area["ISO3166-1"="LU"][admin_level=2]' in area_query("LU")
    for tag in ("phone", "contact:phone", "mobile", "contact:mobile"):
        assert f'nwr["{tag}"](area.a);' in area_query("US-DC")
    assert area_query("US-DC").endswith("out tags center;") and "[timeout:" in area_query("US-DC")
    assert "(38.89,-77.04,38.91,-77.02)" in bbox_query(check_bbox("38.89,-77.04,38.91,-77.02"))
    for bad in ('US-DC"];node;out;', "XX-1", "usa"):
        with pytest.raises(AreaError):
            check_area(bad)
    for bad in ("1,2,3", "38.91,-77.04,38.89,-77.02", "a,b,c,d", "91,0,92,1"):
        with pytest.raises(AreaError):
            check_bbox(bad)


def test_elements_that_are_no_osm_object_are_skipped_and_counted() -> None:
    answer = ('{"elements": [{"type": "node\\u001b[31m", "id": 1, "tags": {"phone": "+1 202 555 0143"}},'
              ' {"type": "way", "id": "javascript:x", "tags": {"phone": "+1 202 555 0143"}},'
              ' {"type": "node", "id": 7, "tags": {"name": "Ok", "phone": "+1 202 555 0143"}}]}')
    tally = ReadTally()
    rows = list(read_places(io.StringIO(answer), "US-DC", "US", tally))
    assert [r.ref for r in rows] == ["node/7"]
    assert tally.skipped == 2 and "\x1b" not in tally.summary()
