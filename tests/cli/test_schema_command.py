"""`obligo schema NAME` (engine.cli.schema): one self-contained JSON Schema per document kind, for
editors, and the docs/FORMAT.md "Editors" header line that points a YAML editor at it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import INVALID, REPO
from jsonschema import Draft202012Validator
from referencing import Registry

from engine.cli.main import main
from engine.language.load import load_file
from engine.language.loader import document_kind
from engine.language.schema import BUNDLE_KINDS

HEADER = "# yaml-language-server: $schema=./contract.schema.json"
COMMAND = "obligo schema contract > contract.schema.json"


def schema_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["schema", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def printed(name: str) -> dict[str, Any]:
    code, out, err = schema_cli(name)
    assert (code, err) == (0, "")
    return json.loads(out)


def alone(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator that knows no other document: an empty registry that retrieves nothing, so a
    `$ref` to another file fails (Unresolvable) instead of being fetched or found."""
    return Draft202012Validator(schema, registry=Registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if isinstance(node.get("$ref"), str) else []) + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def repository_documents() -> list[Path]:
    paths = sorted((REPO / "contracts").glob("*.yaml")) + sorted((REPO / "examples").glob("*/*.yaml"))
    assert len(paths) >= 18  # five seed contracts, four examples, each with its scenario file
    return paths


@pytest.mark.parametrize("name", BUNDLE_KINDS)
def test_each_printed_schema_is_valid_json_schema_with_local_references_only(name):
    schema = printed(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert all(ref.startswith("#/$defs/") for ref in refs(schema)), refs(schema)
    for ref in refs(schema):  # every pointer lands on a definition of the document itself
        assert ref.removeprefix("#/$defs/") in schema["$defs"], ref


def test_the_contract_schema_bundles_the_common_definitions():
    schema = printed("contract")
    assert {"condition", "rule", "clause", "duration"} <= set(schema["$defs"])
    assert "common.schema.json" not in json.dumps(schema)


@pytest.mark.parametrize("path", repository_documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_the_printed_schema_alone_accepts_every_repository_document(path):
    doc, problems = load_file(path)
    assert problems == [] and doc is not None
    kind = document_kind(doc)
    assert kind == ("scenario" if path.name.endswith(".tests.yaml") else "contract")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in alone(printed(kind)).iter_errors(doc.data)]
    assert errors == []


@pytest.mark.parametrize(("fixture", "where", "words"), [
    ("unknown-field.yaml", [], "'effective_too' was unexpected"),
    ("unknown-nested-field.yaml", ["targets", 0], "'calender' was unexpected"),
    ("wrong-type.yaml", ["version"], "is not of type 'string'"),
])
def test_the_printed_schema_alone_rejects_a_bad_contract(fixture, where, words):
    doc, problems = load_file(INVALID / fixture)
    assert problems == [] and doc is not None
    errors = list(alone(printed("contract")).iter_errors(doc.data))
    assert any(list(e.absolute_path) == where and words in e.message for e in errors), [e.message for e in errors]


def test_the_output_is_deterministic():
    assert schema_cli("contract") == schema_cli("contract")


@pytest.mark.parametrize(("name", "hint"), [("contrct", "; did you mean 'contract'?"), ("common", ""), ("", "")])
def test_an_unknown_name_is_a_usage_error_listing_the_names(name, hint):
    code, out, err = schema_cli(name)
    assert (code, out) == (2, "")
    assert err == (f"obligo schema: unknown schema '{name}'{hint}; expected one of: "
                   "action, contract, event, mapping, rules, scenario\n")


def test_a_missing_name_is_a_usage_error():
    assert schema_cli()[0] == 2


# --- docs/FORMAT.md "Editors" --------------------------------------------------------------------

def editors_section() -> str:
    text = (REPO / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    found = re.search(r"^## Editors\n(.*?)(?=^## )", text, re.S | re.M)
    assert found, "docs/FORMAT.md has no '## Editors' section"
    return found.group(1)


def code_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)]


def test_format_md_shows_the_command_and_the_exact_header_line():
    assert code_blocks(editors_section()) == [COMMAND, HEADER]


def test_the_header_line_as_documented_points_an_editor_at_a_schema_that_checks_the_file(tmp_path):
    """Follow the docs literally: write the schema where the command puts it, prepend the header to
    a seed contract, resolve `$schema=` relative to the contract file as yaml-language-server does."""
    command, header = code_blocks(editors_section())
    name, target = command.split(" > ")
    code, out, _ = schema_cli(*name.split()[2:])
    assert code == 0
    (tmp_path / target).write_text(out, encoding="utf-8")
    contract = tmp_path / "progr1.yaml"
    contract.write_text(header + "\n" + (REPO / "contracts" / "progr1.yaml").read_text(encoding="utf-8"), encoding="utf-8")

    first = contract.read_text(encoding="utf-8").splitlines()[0]
    found = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert found
    schema = json.loads((contract.parent / found.group(1)).read_text(encoding="utf-8"))
    doc, problems = load_file(contract)
    assert problems == [] and doc is not None  # the header is a comment: the contract reads the same
    assert list(alone(schema).iter_errors(doc.data)) == []
    doc.data["targets"][0]["calender"] = "24x7"
    assert [e.validator for e in alone(schema).iter_errors(doc.data)] == ["additionalProperties"]
