"""docs/connectors.md: generated from the ConfigDefs, and never out of date with them."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from sluice.api import ConfigDef, ConfigType, Importance, Range, ValidString
from sluice.cli import config_docs
from sluice.cli.config_docs import COMMAND, bundled_connectors, main, render_keys, render_reference
from sluice.connectors import debezium, debezium_mysql, file, jdbc, mirror, mongodb, spooldir

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs" / "connectors.md"


def test_docs_connectors_md_is_up_to_date() -> None:
    expected = render_reference()
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    if current != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    "docs/connectors.md",
                    "from the ConfigDefs",
                )
            )[:40]
        )
        pytest.fail(f"docs/connectors.md is out of date: run `{COMMAND}`\n{diff}")


def test_every_bundled_connector_is_documented() -> None:
    documented = {c.name for c in bundled_connectors()}
    families = (debezium, debezium_mysql, file, jdbc, mirror, mongodb, spooldir)
    names = {name for family in families for name in family.PLUGINS["connector"]}
    assert documented == {name for name in names if not name.startswith("sluice.")}
    text = render_reference()
    for name in documented:
        assert f"### {name.rsplit('.', 1)[-1]}\n" in text
        assert f"`connector.class={name}`" in text
    for section in ("## Settings every connector takes", "## Settings of sink connectors"):
        assert section in text
    assert "| `tasks.max` |" in text
    assert "| `topics` |" in text


def _row(lines: list[str], key: str) -> list[str]:
    (line,) = [line for line in lines if line.startswith(f"| `{key}` |")]
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_keys_render_as_kafka_documents_them() -> None:
    def no_str(name: str, value: object) -> None:
        pass

    d = (
        ConfigDef()
        .define("z.optional", ConfigType.STRING, None, importance=Importance.HIGH)
        .define("a.low", ConfigType.LIST, "", no_str, Importance.LOW, "List | with *stars*")
        .define("required", ConfigType.STRING, importance=Importance.LOW, documentation="Must")
        .define("poll.ms", ConfigType.LONG, 60000, Range.at_least(0), Importance.MEDIUM, "Wait")
        .define("secret", ConfigType.PASSWORD, "x", importance=Importance.LOW)
        .define("mode", ConfigType.STRING, "a", ValidString("a", "b|c"), Importance.LOW)
        .define_internal("hidden", ConfigType.INT, 1)
    )
    lines = render_keys(d)
    names = [line.split(" | ")[0][2:] for line in lines if line.startswith("| `")]
    # Required first, then by importance, then by name (Kafka's ConfigDef.sortedConfigs).
    assert names == ["`required`", "`z.optional`", "`poll.ms`", "`a.low`", "`mode`", "`secret`"]
    assert _row(lines, "required") == ["`required`", "Must", "string", "*required*", "", "low"]
    assert _row(lines, "z.optional")[3] == "`null`"
    assert _row(lines, "a.low")[1:5] == [r"List \| with \*stars\*", "list", '`""`', ""]
    assert _row(lines, "poll.ms")[3:5] == ["`60000` (1 minute)", "`[0,...]`"]
    assert _row(lines, "secret")[3] == "`[hidden]`"
    assert _row(lines, "mode")[4] == r"`[a, b\|c]`"
    assert "`hidden`" not in "\n".join(lines)  # internal keys are left out, as in Kafka


def test_groups_become_headed_tables_in_definition_order() -> None:
    d = (
        ConfigDef()
        .define("free", ConfigType.INT, 1)
        .define("a.key", ConfigType.INT, 1, group="Defined first", order_in_group=1)
        .define("b.second", ConfigType.INT, 1, group="Defined second", order_in_group=2)
        .define("b.first", ConfigType.INT, 1, group="Defined second", order_in_group=1)
    )
    text = "\n".join(render_keys(d, "###"))
    assert text.index("`free`") < text.index("### Defined first\n") < text.index("`a.key`")
    assert text.index("`a.key`") < text.index("### Defined second\n") < text.index("`b.first`")
    assert text.index("`b.first`") < text.index("`b.second`")  # by order in the group


def test_nice_time_units_match_kafka() -> None:
    assert config_docs._nice_time_units(0) == ""
    assert config_docs._nice_time_units(1500) == ""
    assert config_docs._nice_time_units(1000) == " (1 second)"
    assert config_docs._nice_time_units(300000) == " (5 minutes)"
    assert config_docs._nice_time_units(604800000) == " (7 days)"


def test_check_fails_on_a_stale_file_and_passes_once_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "docs" / "connectors.md"
    assert main(["--output", str(out), "--check"]) == 1
    assert COMMAND in capsys.readouterr().err
    assert main(["--output", str(out)]) == 0
    assert main(["--output", str(out), "--check"]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert main(["--output", str(out), "--check"]) == 1
