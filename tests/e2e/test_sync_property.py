"""Property: any interleaving of local work, faulty syncs, back-office steps, cases the
platform refuses (with later operations on them) and invalid changes in the feed converges
after a quiet sync: every case the platform accepted is on it exactly once with the window's
state, every refused case is set aside whole on the window and absent from the platform, and
no invalid change reached the store."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offline.blobs import BlobStore
from offline.catalog import demo_catalog
from offline.intake import Intake
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store
from offline.sync import Platform, SyncEngine
from tests.conftest import pension, person, received
from tests.e2e.test_sync import Faults

UNKNOWN = "330212105-GG-0031"  # an item the platform of this test does not know
INVALID = [
    {"kind": "case.status", "case_id": "x", "server_version": 2**70, "status": "approved"},
    {"kind": "case.status", "case_id": "x", "server_version": 3, "status": "hacked_status"},
    {"kind": "case.status", "case_id": "x", "server_version": 3, "official_no": ["x"]},
    {"kind": "case.snapshot", "case_id": "y", "server_version": 1, "case": {"local_no": 5}},
]
FAULTS = ["", "drop_before", "drop_after", "twice", "portal", "busy", "garbage"]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("accept"), st.integers(1, 3)),
        st.tuples(st.just("sync"), st.lists(st.sampled_from(FAULTS), max_size=3)),
        st.tuples(st.just("advance"), st.just(0)),
        st.tuples(st.just("refused"), st.integers(1, 2)),
        st.tuples(st.just("rate"), st.just(0)),
        st.tuples(st.just("invalid"), st.sampled_from(INVALID)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
@example([("sync", ["", "garbage"])])  # found: garbage on the catalog with nothing to push
def test_any_interleaving_converges(steps):
    with tempfile.TemporaryDirectory() as tmp:
        platform = PlatformStore(Path(tmp) / "platform.db")
        server, url = serve_in_thread(platform)
        store = Store(Path(tmp) / "clerk.db", centre_code="330212105", window_no=3)
        store.import_catalog(demo_catalog(), by="test")
        target = Platform(url, "win-03", platform.add_device("win-03", "330212105"))
        platform.items.pop(UNKNOWN)
        blobs, accepted, refused, made = BlobStore(Path(tmp) / "blobs"), 0, set(), []
        try:
            for kind, arg in steps:
                if kind == "accept":
                    for _ in range(arg):
                        made.append(store.accept(pension(), clerk_id="c0107").case_id)
                    accepted += arg
                elif kind == "refused":
                    for _ in range(arg):
                        unknown = Intake(
                            item_code=UNKNOWN,
                            applicant=person(),
                            materials=[received("M01"), received("M02")],
                        )
                        case = store.accept(unknown, clerk_id="c0107")
                        refused.add(case.case_id)
                        made.append(case.case_id)
                elif kind == "rate":
                    if made and store.evaluation(made[-1]) is None:
                        store.evaluate(made[-1], "satisfied", "window_keypad", clerk_id="c0107")
                        accepted += made[-1] not in refused
                elif kind == "invalid":
                    with platform._write():
                        platform.change("330212105", arg)
                elif kind == "advance":
                    platform.advance()
                else:
                    faults = Faults()
                    faults.plan = list(arg)
                    with SyncEngine(
                        store, blobs, target, transport=faults, sleep=lambda s: None
                    ) as engine:
                        engine.run()
            with SyncEngine(store, blobs, target, sleep=lambda s: None) as quiet:
                summary = quiet.run()
                assert summary.exit_code == (2 if refused else 0), summary
                assert summary.held_cases == len(refused)
                check = quiet.verify()
                assert (check.local_ops, check.platform_ops) == (accepted, accepted)
                assert check.same, check.differences
            assert platform.stats()["ops"] == accepted
            remote = dict(platform.db.conn.execute("SELECT case_id, status FROM cases"))
            local = {c.case_id: c.status for c in store.search_cases_all()}
            assert {k: v for k, v in local.items() if k not in refused} == remote
            assert not refused & set(remote)
            for case_id in refused:  # set aside whole, the rating with its case
                assert {o.state for o in store.operations(case_id)} == {"quarantined"}
            assert store.integrity_problems() == []
        finally:
            store.close()
            server.shutdown()
            server.server_close()
