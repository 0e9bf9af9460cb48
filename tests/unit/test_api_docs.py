"""The published schemas (`/openapi.json`) and the documents people read cannot drift apart:
every request of docs/hall-api.md and of the platform contract is in the schema with the body
fields and query parameters the document names, and every path of the schema is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clerk.hall.server import build_app, make_hall
from offline.platform.server import PREFIX
from offline.platform.server import build_app as platform_app
from offline.platform.store import PlatformStore
from offline.queue import QueueStore

ROOT = Path(__file__).resolve().parents[2]
REQUEST = re.compile(r"`(GET|POST|PUT|HEAD|DELETE) (/[^`\s]*)`")


def documented(text: str) -> dict[tuple[str, str], str]:
    """(method, path) → the rest of its line, for every request a document names."""
    found = {}
    for line in text.splitlines():
        for method, target in REQUEST.findall(line):
            path = re.sub(r"\[?\?.*$", "", target).replace("{n}", "{window_no}")
            found[(method.lower(), path)] = line
    return found


def published(app) -> dict:
    """What `GET /openapi.json` serves (the e2e tests fetch it over HTTP)."""
    return app.openapi()


def body_fields(schema: dict, operation: dict) -> set[str]:
    ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    name = ref.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
    return set(schema["components"]["schemas"].get(name, {}).get("properties", {}))


def test_hall_api_doc_matches_the_schema(tmp_path):
    schema = published(build_app(make_hall(QueueStore(tmp_path / "hall.db"))))
    paths = schema["paths"]
    doc = documented((ROOT / "docs" / "hall-api.md").read_text("utf-8"))
    served = {(m, p) for p, ops in paths.items() for m in ops} | {("get", "/openapi.json")}
    assert set(doc) == served
    for (method, path), line in doc.items():
        if path == "/openapi.json":
            continue
        operation = paths[path][method]
        table_body = line.split("|")[2] if line.startswith("|") else ""
        named = set(re.findall(r'"(\w+)":', table_body))
        assert named <= body_fields(schema, operation), (method, path)
        for query in re.findall(r"[?&](\w+)=", line.split("|")[1] if line.startswith("|") else ""):
            assert query in {p["name"] for p in operation.get("parameters", [])}, (path, query)


def contract() -> Path:
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "platform-api.md").exists():
            return base / "shared" / "platform-api.md"
    pytest.skip("the team's shared/platform-api.md is not beside this checkout")


def test_platform_contract_matches_the_schema(tmp_path):
    schema = published(platform_app(PlatformStore(tmp_path / "platform.db")))
    paths = schema["paths"]
    text = contract().read_text("utf-8")
    doc = documented(text)
    served = {(m, p.removeprefix(PREFIX)) for p, ops in paths.items() for m in ops}
    assert set(doc) == served
    for method, path in doc:
        operation = paths[PREFIX + path][method]
        names = {p["name"] for p in operation.get("parameters", [])}
        target = next(t for m, t in REQUEST.findall(text) if m.lower() == method and path in t)
        assert set(re.findall(r"[?&](\w+)=", target)) <= names, target
    assert body_fields(schema, paths[PREFIX + "/ops"]["post"]) == {"ops"}
    results = schema["components"]["schemas"]["OpResult"]["properties"]
    for member in ("op_id", "result", "server_version", "code", "message", "missing"):
        assert member in results  # the members of a result the contract shows
    changes = schema["components"]["schemas"]["ChangesAnswer"]["properties"]
    assert set(changes) == {"changes", "cursor", "more"}
    state = set(schema["components"]["schemas"]["StateAnswer"]["properties"])
    assert state - {"case_states"} == {"cases", "ops", "digest"}  # case_states: our addition
