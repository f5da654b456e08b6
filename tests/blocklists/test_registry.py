"""The one table of blocklist formats: the enums, the CLI choices and the server's media types come from it."""

from __future__ import annotations

from importlib import import_module

import pytest
from typer.main import get_command

from lookup.blocklists import CONTACT_FORMATS, FORMATS, ExportFormat, FormatSpec, ImportFormat

WRITTEN = [spec for spec in FORMATS.values() if spec.writer]
READ = [spec for spec in FORMATS.values() if spec.reader]


def test_the_enums_name_exactly_the_rows_with_a_writer_or_a_reader() -> None:
    assert [f.value for f in ExportFormat] == [spec.name for spec in WRITTEN]
    assert [f.value for f in ImportFormat] == ["auto"] + [spec.name for spec in READ]
    assert CONTACT_FORMATS == {"contacts_vcard", "google_contacts_csv"}


@pytest.mark.parametrize("spec", FORMATS.values(), ids=lambda spec: spec.name)
def test_every_row_names_functions_that_exist(spec: FormatSpec) -> None:
    module = import_module(f"lookup.blocklists.{spec.module}")
    for function in (spec.writer, spec.reader):
        if function is not None:
            assert callable(getattr(module, function))
    assert spec.writer or spec.reader
    assert spec.media_type.count("/") == 1 and spec.extension.isalnum()


def option_choices(command: str, option: str) -> list[str]:
    from lookup.cli import app

    [param] = [p for p in get_command(app).commands[command].params if option in p.opts]
    return list(param.type.choices)


def test_the_cli_offers_the_registry_formats() -> None:
    assert option_choices("export", "--format") == [f.value for f in ExportFormat]
    assert option_choices("import", "--format") == [f.value for f in ImportFormat]
    assert option_choices("import", "--as") == ["block", "allow"]


def test_the_server_serves_every_written_format_with_the_registry_media_type() -> None:
    from lookup.server.blocklist import CONTENT_TYPES

    assert CONTENT_TYPES == {spec.name: (spec.media_type, spec.extension) for spec in WRITTEN}
