"""Sync against the reference platform over real HTTP on loopback, with faults injected
between the two: after each, the platform holds every operation exactly once, every blob
whole, and nothing is lost locally."""

from __future__ import annotations

import httpx
import pytest

from offline.blobs import BlobStore
from offline.followup import FollowUpError
from offline.models import CaseQuery, Person
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.sync import Platform, SyncEngine
from tests.conftest import pension, received


class Faults(httpx.BaseTransport):
    """Between client and platform: a queue of faults, each used once, in order."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()
        self.plan: list[str] = []
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.plan.pop(0) if self.plan else ""
        self.seen.append(f"{request.method} {request.url.path} {fault}".strip())
        if fault == "drop_before":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "portal":
            return httpx.Response(200, html="<html>请登录无线网络</html>", request=request)
        if fault == "busy":
            return httpx.Response(
                503, headers={"Retry-After": "2", "X-Platform-Api": "1"}, request=request
            )
        if fault == "garbage":
            return httpx.Response(
                200, content=b"{not json", request=request, headers={"X-Platform-Api": "1"}
            )
        response = self.real.handle_request(request)
        response.read()
        if fault == "drop_after":  # the platform applied it; the answer never arrives
            raise httpx.ReadError("connection reset", request=request)
        if fault == "twice":  # a duplicated request: the platform sees it again
            again = self.real.handle_request(request)
            again.read()
        return response

    def close(self) -> None:
        self.real.close()


@pytest.fixture
def platform(tmp_path):
    store = PlatformStore(tmp_path / "platform.db")
    server, url = serve_in_thread(store)
    token = store.add_device("win-03", "330212105")
    yield store, Platform(url, "win-03", token)
    server.shutdown()
    server.server_close()


@pytest.fixture
def window(store, tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    return store, blobs


OPEN: list = []


@pytest.fixture(autouse=True)
def close_engines():
    yield
    while OPEN:
        OPEN.pop().close()


def engine(window, platform, faults=None, sleeps=None, target=None):
    store, blobs = window
    sleeps = sleeps if sleeps is not None else []
    sync = SyncEngine(store, blobs, target or platform[1], transport=faults, sleep=sleeps.append)
    OPEN.append(sync)
    return sync


def accept_with_scan(store, blobs, size=2_500_000):
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * (size // 256)
    sha = blobs.put(pdf)
    entry = pension()
    entry.materials[0] = entry.materials[0].model_copy(update={"attachments": [sha]})
    return store.accept(entry, clerk_id="c0107"), sha


def assert_converged(window, platform, cases):
    store, _ = window
    stats = platform[0].stats()
    assert stats["ops"] == len(cases) and stats["cases"] == len(cases)
    assert store.outbox_counts() == {
        "pending": 0,
        "in_flight": 0,
        "acked": len(cases),
        "quarantined": 0,
    }
    sync = engine(window, platform)
    check = sync.verify()
    assert (check.local_ops, check.platform_ops, check.same) == (len(cases), len(cases), True)


def test_cases_go_up_and_their_status_comes_back(window, platform):
    store, blobs = window
    cases = [store.accept(pension(), clerk_id="c0107") for _ in range(3)]
    case, sha = accept_with_scan(store, blobs)
    cases.append(case)
    summary = engine(window, platform).run()
    assert (summary.applied, summary.blobs, summary.exit_code) == (4, 1, 0), summary
    assert platform[0].blob_state(sha) == (200, len(blobs.get(sha)))
    back = store.case(case.case_id)
    assert back.status == "in_review" and back.official_no.startswith("330212105")
    assert_converged(window, platform, cases)
    platform[0].advance()
    again = engine(window, platform).run()
    assert (again.sent, again.pulled) == (0, 4)
    assert store.case(case.case_id).status == "approved"
    assert [c.status for c in store.search_cases(CaseQuery(status=["approved"]))] == [
        "approved"
    ] * 4


@pytest.mark.parametrize("fault", ["drop_before", "drop_after", "twice", "busy"])
def test_faults_on_the_ops_request(window, platform, fault):
    store, _ = window
    cases = [store.accept(pension(), clerk_id="c0107") for _ in range(5)]
    faults, sleeps = Faults(), list[float]()
    faults.plan = [fault]  # the first request of the run is the ops batch
    summary = engine(window, platform, faults, sleeps).run()
    assert summary.exit_code == 0, summary
    if fault == "busy":
        assert 2.0 in sleeps  # Retry-After honoured
    assert_converged(window, platform, cases)
    if fault == "drop_after":
        assert summary.duplicate == 5 and platform[0].stats()["duplicates"] == 5


def test_captive_portal_and_garbage_are_never_success(window, platform):
    store, _ = window
    cases = [store.accept(pension(), clerk_id="c0107") for _ in range(2)]
    for fault in ("portal", "garbage"):
        faults = Faults()
        faults.plan = [fault]
        summary = engine(window, platform, faults).run()
        assert summary.exit_code == 3 and summary.pending == 2, summary  # 3: no platform
        assert store.outbox_counts()["acked"] == 0
    assert engine(window, platform).run().exit_code == 0
    assert_converged(window, platform, cases)


def test_unreachable_platform_keeps_everything(window, platform):
    store, _blobs = window
    store.accept(pension(), clerk_id="c0107")
    dead = Platform("http://127.0.0.1:9/api/v1", "win-03", platform[1].token)
    summary = engine(window, platform, target=dead).run()
    assert (summary.online, summary.exit_code, summary.pending) == (False, 3, 1)


def test_wrong_token_stops_the_run(window, platform):
    store, _blobs = window
    store.accept(pension(), clerk_id="c0107")
    faults = Faults()
    bad = Platform(platform[1].url, "win-03", "not-the-token")
    summary = engine(window, platform, faults, target=bad).run()
    assert (summary.refused, summary.exit_code) == (True, 2)
    assert faults.seen == ["POST /api/v1/ops"]  # no retry storm
    assert store.outbox_counts()["pending"] == 1


def test_upload_resumes_after_a_cut_in_the_middle(window, platform):
    store, blobs = window
    case, sha = accept_with_scan(store, blobs, size=2_600_000)  # three 1 MiB chunks
    faults = Faults()
    faults.plan = ["", "", "drop_after"]  # HEAD, chunk 1, chunk 2 lands but is cut
    first = engine(window, platform, faults).run()
    assert platform[0].blob_state(sha)[0] in (206, 200)
    second = engine(window, platform).run()
    assert second.exit_code == 0, (first, second)
    assert platform[0].blob_state(sha) == (200, len(blobs.get(sha)))
    resent = first.bytes + second.bytes - len(blobs.get(sha))
    assert resent <= 1024 * 1024  # at most one chunk sent twice
    assert_converged(window, platform, [case])


def test_rejected_operation_is_quarantined_and_the_rest_go_on(window, platform):
    store, _ = window
    good = store.accept(pension(), clerk_id="c0107")
    platform[0].items.pop("330212105-GG-0012")  # the platform no longer knows the item
    summary = engine(window, platform).run()
    assert (summary.quarantined, summary.exit_code) == (1, 2)
    [op] = store.quarantined()
    assert op.case_id == good.case_id and "unknown_item" in op.last_error


def test_change_to_a_case_with_unsent_work_is_flagged_not_applied(window, platform):
    store, _ = window
    case = store.accept(pension(), clerk_id="c0107")
    applied = store.apply_changes(
        [
            {
                "kind": "case.status",
                "case_id": case.case_id,
                "server_version": 9,
                "status": "approved",
            }
        ],
        "77",
    )
    assert applied.flagged == 1
    flagged = store.case(case.case_id)
    assert flagged.status == "accepted" and "未上报" in flagged.flagged
    assert store.meta("changes_cursor") == "77"


def test_an_attachment_missing_here_sets_its_case_aside(window, platform):
    """The scan's file is gone from this machine: the platform could never apply the
    operation, so it is quarantined with its case instead of being resent for ever."""
    store, _blobs = window
    entry = pension()
    absent = "ab" * 32
    entry.materials[0] = received("M01", (absent,))
    case = store.accept(entry, clerk_id="c0107")
    summary = engine(window, platform).run()
    assert (summary.pending, summary.quarantined, summary.exit_code) == (0, 1, 2)
    assert summary.set_aside == [
        f"办件 {case.local_no} 的操作已隔离：附件文件在本机缺失（abababababab…）"
    ]
    [op] = store.quarantined()
    assert "缺失" in op.last_error and platform[0].stats()["ops"] == 0


def test_retention_clears_personal_data_of_closed_acknowledged_cases(window, platform):
    from offline.models import PURGED, Refusal

    store, blobs = window
    closed, sha = accept_with_scan(store, blobs, size=1000)
    refused = store.refuse(
        pension("李四", "440524188001010014"),
        Refusal(reason="不属于本中心受理范围"),
        clerk_id="c0107",
    )
    waiting = store.accept(pension("王五", "11010519491231002X"), clerk_id="c0107")
    assert engine(window, platform).run().exit_code == 0
    assert store.case(refused.case_id).status == "closed"  # the platform closes refusals
    store.accept(pension(), clerk_id="c0107")  # unsent work never purged: not closed anyway
    store.db.conn.execute("UPDATE cases SET status = 'closed' WHERE case_id = ?", [closed.case_id])
    assert store.purge_personal_data(0, blobs, by="retention") == 2
    gone = store.case(refused.case_id)
    assert (gone.payload.applicant.name, gone.payload.applicant.id_number) == (PURGED, PURGED)
    assert gone.payload.applicant.phone is None and gone.local_no == refused.local_no
    assert gone.status == "closed" and gone.payload.item.code == refused.payload.item.code
    assert store.search_cases(CaseQuery(text="440524188001010014")) == []
    assert sha not in blobs  # the scan went with the personal data
    kept = store.case(waiting.case_id)
    assert kept.payload.applicant.name == "王五"  # in review: kept
    assert store.audit_entries(1)[0].action == "retention.purge"
    assert store.purge_personal_data(0, blobs, by="retention") == 0


def test_tcp_cut_in_the_middle_of_a_chunk_and_a_slow_line(window, platform):
    """Through a real TCP proxy: a connection cut after 1.5 MB of a 2.6 MB upload (inside the
    second 1 MiB chunk), then a 2 Mbit/s trickle."""
    from urllib.parse import urlsplit

    from offline.platform.proxy import Proxy

    store, blobs = window
    case, sha = accept_with_scan(store, blobs, size=2_600_000)
    parts = urlsplit(platform[1].url)
    proxy = Proxy((parts.hostname, parts.port), bits_per_second=20_000_000)
    proxy.cut_after = 1_500_000
    via = Platform(
        f"http://{proxy.address[0]}:{proxy.address[1]}{parts.path}", "win-03", platform[1].token
    )
    try:
        sync = engine(window, platform, target=via)
        assert sync.run().exit_code == 0
        assert sync.blob_bytes - len(blobs.get(sha)) <= 1024 * 1024  # at most one chunk again
    finally:
        proxy.close()
    assert platform[0].blob_state(sha) == (200, len(blobs.get(sha)))
    assert_converged(window, platform, [case])


@pytest.mark.parametrize("fault", ["garbage", "portal"])
def test_nonsense_on_every_pull_request_is_survived(window, platform, fault):
    """Found by the property test: with nothing to push, the pulls meet the fault."""
    for position in range(4):  # changes, catalog, calendar this year, calendar next year
        faults = Faults()
        faults.plan = [""] * position + [fault]
        summary = engine(window, platform, faults).run()
        assert summary.exit_code in (0, 1, 3) and not summary.refused, summary
    assert engine(window, platform).run().exit_code == 0


def test_a_case_from_another_window_arrives_for_pickup_anywhere(tmp_path, platform):
    """统一窗口出件: window 4 accepts, window 3 learns of the case and can find it."""
    from offline.catalog import demo_catalog
    from offline.store import Store

    other = Store(tmp_path / "w4.db", centre_code="330212105", window_no=4)
    other.import_catalog(demo_catalog(), by="test")
    here = Store(tmp_path / "w3.db", centre_code="330212105", window_no=3)
    here.import_catalog(demo_catalog(), by="test")
    blobs = BlobStore(tmp_path / "blobs")
    token4 = platform[0].add_device("win-04", "330212105")
    w4 = Platform(platform[1].url, "win-04", token4)
    case = other.accept(pension("李四", "440524188001010014"), clerk_id="c0108")
    with SyncEngine(other, blobs, w4) as sync4, SyncEngine(here, blobs, platform[1]) as sync3:
        assert sync4.run().exit_code == 0
        assert sync3.run().exit_code == 0
    [found] = here.search_cases(CaseQuery(text="440524188001010014"))
    assert found.case_id == case.case_id and found.local_no.startswith("330212105-04-")
    assert found.official_no and found.status == "in_review"
    assert other.case(case.case_id).official_no == found.official_no
    assert "platform.snapshot" in [e.action for e in here.audit_entries(5)]
    other.close()
    here.close()


def test_a_bad_rating_is_followed_up_and_may_be_rated_again(window, platform):
    store, _ = window
    rated, fine = (store.accept(pension(), clerk_id="c0107") for _ in range(2))
    store.evaluate(rated.case_id, "dissatisfied", "window_keypad", clerk_id="c0107")
    store.evaluate(fine.case_id, "very_satisfied", "window_keypad", clerk_id="c0107")
    with pytest.raises(FollowUpError, match="一件一评"):
        store.evaluate(rated.case_id, "satisfied", "window_keypad", clerk_id="c0107")
    assert engine(window, platform).run().exit_code == 0
    platform[0].advance()
    summary = engine(window, platform).run()
    assert summary.followups == 1
    [note] = [e for e in store.timeline(rated.case_id) if e.action == "evaluation.followup"]
    assert note.clerk_id == "platform" and "回访" in note.detail["text"]
    assert store.may_rate_again(rated.case_id) and not store.may_rate_again(fine.case_id)
    second = store.evaluate(rated.case_id, "satisfied", "window_keypad", clerk_id="c0107")
    assert second.attempt == 2 and not store.may_rate_again(rated.case_id)
    engine(window, platform).run()
    [op] = [o for o in store.operations(rated.case_id) if o.payload.get("attempt") == 2]
    assert op.state == "acked" and op.payload["level"] == "satisfied"
    platform[0].advance()  # nothing more to follow up
    assert engine(window, platform).run().followups == 0


def test_the_result_goes_to_the_applicant_or_a_checked_proxy(window, platform):
    store, _ = window
    case = store.accept(pension(), clerk_id="c0107")
    engine(window, platform).run()
    platform[0].advance()
    platform[0].advance()
    engine(window, platform).run()
    assert store.case(case.case_id).status == "ready_for_pickup"
    stranger = Person(name="王五", id_type="resident_id", id_number="11010519491231002X")
    with pytest.raises(FollowUpError, match="授权委托书"):
        store.deliver(case.case_id, stranger, clerk_id="c0107")
    assert store.case(case.case_id).status == "ready_for_pickup"
    store.deliver(case.case_id, stranger, clerk_id="c0107", proxy_checked=True)
    [handed] = [e for e in store.timeline(case.case_id) if e.action == "case.deliver"]
    assert handed.detail == {"method": "pickup", "receiver": "1101**********002X", "proxy": True}
    engine(window, platform).run()
    assert platform[0].stats()["ops"] == 2


def test_the_applicant_collects_without_a_proxy(window, platform):
    store, _ = window
    case = store.accept(pension(), clerk_id="c0107")
    engine(window, platform).run()
    platform[0].advance()
    engine(window, platform).run()  # approved: the result may be handed out
    store.deliver(case.case_id, case.payload.applicant, clerk_id="c0107")
    assert store.case(case.case_id).status == "delivered"
