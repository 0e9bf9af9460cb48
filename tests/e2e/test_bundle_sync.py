"""一件事 through sync over real HTTP: the platform holds the members with one group id, their
送达方式 and each 补正's `in_person`, moves them on together, and counts the same 跑动次数 as
the window's report."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from offline import visits
from offline.blobs import BlobStore
from offline.clock import now
from offline.sync import SyncEngine
from tests.conftest import pension, received
from tests.e2e.test_sync import platform  # noqa: F401 (fixture)
from tests.unit.test_bundles import NEWBORN, PDF, POST, newborn, zhang


def sync(store, blobs, target) -> None:
    with SyncEngine(store, blobs, target) as engine:
        assert engine.run().exit_code == 0


def test_bundle_delivery_and_visits_reach_the_platform(store, tmp_path, platform):  # noqa: F811
    server, target = platform
    blobs = BlobStore(tmp_path / "blobs")
    assert blobs.put(PDF)  # the applicant's ID card, scanned once for all members
    made = store.accept_bundle(newborn(), clerk_id="c0107")
    hukou, medical, card = made
    single = store.accept(pension(missing=True), clerk_id="c0107")  # 窗口自取, 容缺
    store.receive_correction(hukou.case_id, [received("M04")], clerk_id="c0107", in_person=False)
    store.receive_correction(single.case_id, [received("M02")], clerk_id="c0107")
    sync(store, blobs, target)

    # the platform holds the members with one group id, their 送达方式 and `in_person`
    rows = server.db.conn.execute("SELECT case_id, group_id, body FROM cases").fetchall()
    groups = {case_id: group for case_id, group, _ in rows}
    assert {groups[c.case_id] for c in made} == {hukou.payload.bundle.group_id}
    assert groups[single.case_id] is None
    bodies = {case_id: json.loads(body) for case_id, _, body in rows}
    assert bodies[card.case_id]["delivery"] == POST.model_dump()
    assert bodies[medical.case_id]["bundle"]["members"] == [c.local_no for c in made]
    flags = server.db.conn.execute(
        "SELECT case_id, json_extract(payload, '$.in_person') FROM ops "
        "WHERE type = 'case.correction_received'"
    ).fetchall()
    assert dict(flags) == {hukou.case_id: 0, single.case_id: 1}

    # the back office moves the group on together; the window hands out the results
    server.advance()
    server.advance()
    sync(store, blobs, target)
    assert {store.case(c.case_id).status for c in (hukou, card)} == {"ready_for_pickup"}
    for case in (hukou, card):
        store.deliver(case.case_id, zhang(), "post", "SF1234567890", clerk_id="c0107")
    store.deliver(single.case_id, zhang(), "pickup", clerk_id="c0107")
    sync(store, blobs, target)

    # the catalog the window got carries the bundles
    response = httpx.get(
        f"{target.url}/catalog",
        headers={"Authorization": f"Bearer {target.token}", "X-Device-Id": target.device_id},
    )
    assert NEWBORN in [b["code"] for b in response.json()["bundles"]]

    # the visits report agrees with what the platform computes from its operations
    today = now().date()
    period = (today - timedelta(days=1), today + timedelta(days=1))
    mine = visits.report(store.visits(), *period).as_dict()
    theirs = visits.report(server.visits("330212105"), *period).as_dict()
    assert mine == theirs
    counted = {v.case_id: v.visits for v in server.visits("330212105")}
    assert counted[card.case_id] == 1  # intake only: 邮寄
    assert counted[hukou.case_id] == 1  # 补正 by post, result by post
    assert counted[single.case_id] == 3  # intake, 补正 in person, pickup
    item = {r["key"]: r for r in mine["rows"] if r["group"] == "item"}
    assert item[single.payload.item.code]["more_correction"] == 1
