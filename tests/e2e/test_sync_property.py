"""Property: any interleaving of local work, faulty syncs and back-office steps converges to
the same state on both sides after a quiet sync."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offline.blobs import BlobStore
from offline.catalog import demo_catalog
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store
from offline.sync import Platform, SyncEngine
from tests.conftest import pension
from tests.e2e.test_sync import Faults

FAULTS = ["", "drop_before", "drop_after", "twice", "portal", "busy", "garbage"]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("accept"), st.integers(1, 3)),
        st.tuples(st.just("sync"), st.lists(st.sampled_from(FAULTS), max_size=3)),
        st.tuples(st.just("advance"), st.just(0)),
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
        blobs, accepted = BlobStore(Path(tmp) / "blobs"), 0
        try:
            for kind, arg in steps:
                if kind == "accept":
                    for _ in range(arg):
                        store.accept(pension(), clerk_id="c0107")
                    accepted += arg
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
                assert quiet.run().exit_code == 0
                check = quiet.verify()
                assert (check.local_ops, check.platform_ops) == (accepted, accepted)
                assert check.same, check.differences
            assert platform.stats()["ops"] == accepted
            remote = dict(platform.db.conn.execute("SELECT case_id, status FROM cases"))
            local = {c.case_id: c.status for c in store.search_cases_all()}
            assert local == remote
        finally:
            store.close()
            server.shutdown()
            server.server_close()
