"""Sync with the central platform (`platform-api.md`): exactly once in effect, resumable.

One run: push the pending operations in the order they were made, batch by batch (each
batch marked in flight, its attachments uploaded, sent, and its answers recorded in one
transaction before the next request), then pull `/changes` page by page (each page with its
cursor in one transaction), the catalog (ETag) and the working-day calendar. Only answers that
carry `X-Platform-Api: 1` count; a captive portal's 200 is not success. 401/403 stop the run.
"The platform is unreachable" is a result (`online=False`), not a crash.

Ordering is per case: an operation waits only for its own case's earlier operations; a
quarantined operation sets aside the later ones of its case, and the rest keep flowing. Every
loop is bounded (chunks, offsets, change pages, retries; no redirects are followed), and every
header and field from the platform is parsed defensively: a platform that misbehaves ends
the run with a Chinese line naming what it did, and nothing is lost.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import pydantic

from offline import outbox, sync_lock, text, tls
from offline.blobs import BlobStore
from offline.clock import now
from offline.models import SQLITE_INT, CalendarYear, CaseState, Catalog, Operation
from offline.store import Store
from usererror import UserError

log = logging.getLogger("offline.sync")
MAX_OPS, MAX_BYTES, CHUNK = 200, 4 * 1024 * 1024, 1024 * 1024
MAX_STALLS = 2  # answers to one attachment upload that do not move its offset forward
PAGE = 50  # changes asked per page: a page is one transaction, kept short for the desk
MAX_PAGES = 50_000  # change-feed pages in one run (5 million changes)
EXIT_OK, EXIT_ERROR, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 1, 2, 3


class SyncError(UserError):
    """A sync run could not finish; `str()` is the admin's message."""


class AuthRejected(SyncError):
    """The platform refused this device's token (401/403): re-enrol; retrying cannot help."""


class NotPlatform(SyncError):
    """An answer that did not come from the platform (captive portal, proxy, garbage)."""


class Misbehaved(SyncError):
    """The platform answered, but not as the contract says (a loop, a field of the wrong
    type, an offset out of range): the run stops cleanly, with what it did named."""


class BlobRefused(SyncError):
    """The platform will never take this attachment as it is (digest, type or size)."""


@dataclass(frozen=True)
class Platform:
    url: str  # e.g. https://platform.example.gov.cn/api/v1
    device_id: str
    token: str
    ca_file: str = ""  # the platform's CA (PEM), trusted beside the public ones (offline.tls)

    def check(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and _loopback(parts.hostname or ""):
            return
        raise SyncError("平台地址必须使用 https（仅本机测试平台可用 http）")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Summary:
    sent: int = 0
    applied: int = 0
    duplicate: int = 0
    quarantined: int = 0  # operations quarantined in this run, set-aside ones included
    pending: int = 0
    pulled: int = 0
    flagged: int = 0
    followups: int = 0
    changes_quarantined: int = 0  # changes from the platform kept aside as invalid
    blobs: int = 0
    bytes: int = 0
    purged: int = 0
    held_cases: int = 0  # cases with quarantined operations after the run, earlier ones too
    set_aside: list[str] = field(default_factory=list)  # one line per case set aside now
    online: bool = True
    refused: bool = False
    error: str = ""

    @property
    def exit_code(self) -> int:
        """0 all acknowledged; 1 the platform misbehaved or work is left; 2 refused by the
        platform (quarantined work, or the token); 3 the platform is unreachable."""
        if self.refused or (self.online and not self.error and self.held_cases):
            return EXIT_REFUSED
        if not self.online:
            return EXIT_UNREACHABLE
        return EXIT_ERROR if self.pending or self.error else EXIT_OK

    @property
    def last_line(self) -> str:
        """What a run left set aside, for the end of its report ("" when nothing is)."""
        if not self.held_cases:
            return ""
        return (
            f"另有 {self.held_cases} 件办件的操作被隔离，不会自动上报："
            "用 clerk sync quarantine 查看，处理后用 clerk sync quarantine requeue 重新上报"
        )

    def as_dict(self) -> dict:
        return asdict(self) | {"exit_code": self.exit_code}


class SyncEngine:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        platform: Platform,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str, int], None] | None = None,
    ) -> None:
        platform.check()
        self.store, self.blobs, self.platform = store, blobs, platform
        self.retries, self.sleep = retries, sleep
        self.blob_bytes = 0
        self._partial: set[str] = set()  # attachments whose upload began here, unfinished
        self.progress = progress or (lambda what, n: None)
        self.client = httpx.Client(
            base_url=platform.url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            verify=tls.context(platform.ca_file),
            follow_redirects=False,
            headers={
                "Authorization": f"Bearer {platform.token}",
                "X-Device-Id": platform.device_id,
            },
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> SyncEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one run ------------------------------------------------------------------------------

    def run(self, wait: float = 0.0) -> Summary:
        """One run, holding the store's sync lock (`offline.sync_lock`); `SyncBusy` when
        another run still holds it after `wait` seconds."""
        with sync_lock.exclusive(self.store.path, wait):
            return self._run()

    def _run(self) -> Summary:
        summary, sent_before = Summary(), self.blob_bytes
        self.store.reset_in_flight()
        try:
            self._push(summary)
            self._pull(summary)
            self._catalog()
            self._calendar()
            self.store.set_meta("last_success", now().isoformat())
        except httpx.TransportError as error:
            summary.online, summary.error = False, f"平台无法连接：{tls.transport_problem(error)}"
        except AuthRejected as error:
            summary.refused, summary.error = True, str(error)
        except NotPlatform as error:
            summary.online, summary.error = False, str(error)
        except SyncError as error:
            summary.error = str(error)
        self.store.reset_in_flight()  # an answer that never came: resend next time (safe)
        summary.bytes = self.blob_bytes - sent_before
        summary.pending = self.store.outbox_counts()["pending"]
        summary.held_cases = len(self.store.quarantined_cases())
        if summary.pending and summary.online and not summary.error and not summary.refused:
            summary.error = f"仍有 {summary.pending} 项操作平台暂不接收，下次同步时再试"
        log.info("sync run: %s", json.dumps(summary.as_dict(), ensure_ascii=False))
        return summary

    # --- HTTP with the contract's rules -------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            if method == "PUT":  # attachment bytes put on the wire, failed attempts included
                self.blob_bytes += len(kwargs.get("content", b""))
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TransportError:
                if last:
                    raise
                self.sleep(_backoff(attempt))
                continue
            if response.headers.get("X-Platform-Api") != "1":
                raise NotPlatform("收到的应答不是平台发出的（可能需要网络登录，或代理出错）")
            if response.status_code in (401, 403):
                raise AuthRejected("平台不认可本机的令牌，请重新登记（clerk enrol）")
            if 300 <= response.status_code < 400 and response.status_code != 304:
                raise Misbehaved(
                    f"平台要求重定向（{response.status_code}），同步不跟随："
                    "请核对 [platform] url 是否已变更"
                )
            if response.status_code in (429, 503) and not last:
                self.sleep(min(_retry_after(response), 300))
                continue
            if response.status_code >= 500 and not last:
                self.sleep(_backoff(attempt))
                continue
            if response.status_code >= 500 or response.status_code in (429, 503):
                raise NotPlatform(f"平台暂时无法处理（{response.status_code}），稍后再试")
            return response
        raise AssertionError("unreachable")

    # --- push ---------------------------------------------------------------------------------

    def _push(self, summary: Summary) -> None:
        """Batches filled from what can be sent now. The rowid cursor `after` only moves on,
        so each operation is sent at most once per run; `held` are the cases whose next
        operation must wait for the next run (answered `retry`)."""
        after, held = 0, set[str]()
        while True:
            batch, after = self._batch(after, held, summary)
            if not batch:
                return
            ids = [op.op_id for op in batch]
            self.store.mark(ids, "in_flight")
            batch = self._upload_for(batch, summary)
            if not batch:
                continue
            ids = [op.op_id for op in batch]
            body = json.dumps({"ops": [_wire(op) for op in batch]}, ensure_ascii=False).encode()
            response = self._request(
                "POST",
                "/ops",
                content=gzip.compress(body),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Content-Encoding": "gzip",
                },
            )
            results = _results(response, ids)
            summary.sent += len(batch)
            held |= self._record(results, batch, summary)
            self.progress("ops", len(batch))

    def _batch(self, after: int, held: set[str], summary: Summary) -> tuple[list[Operation], int]:
        """The next batch after rowid `after` (at most 200 operations or 4 MiB), and the
        rowid to continue from. Operations of held cases are passed over; an operation whose
        scan is missing on this machine is set aside with its case."""
        ops: list[Operation] = []
        size = 0
        while len(ops) < MAX_OPS:
            page = self.store.unsent(MAX_OPS, after)
            if not page:
                break
            for rowid, op in page:
                if op.case_id in held:
                    after = rowid
                    continue
                missing = [sha for sha in _attachments(op) if sha not in self.blobs]
                if missing:
                    self._set_aside(op, f"附件文件在本机缺失（{missing[0][:12]}…）", summary)
                    held.add(op.case_id)
                    after = rowid
                    continue
                size += len(json.dumps(_wire(op), ensure_ascii=False).encode())
                if len(ops) == MAX_OPS or (ops and size > MAX_BYTES - 1024):
                    return ops, after
                ops.append(op)
                after = rowid
        return ops, after

    def _set_aside(self, op: Operation, reason: str, summary: Summary) -> None:
        """Quarantine `op` and its case's later operations; one line for the admin."""
        count = self.store.set_aside(op.op_id, reason)
        summary.quarantined += count
        case = self.store.case(op.case_id)
        name = case.local_no if case else op.case_id
        more = f"（连同该办件其后 {count - 1} 项操作）" if count > 1 else ""
        summary.set_aside.append(f"办件 {name} 的操作已隔离{more}：{reason}")

    def _record(
        self, results: list[OpResult], batch: list[Operation], summary: Summary
    ) -> set[str]:
        """The batch's answers, recorded in one transaction; returns the cases that wait."""
        sorted_out, waits, refused = outbox.Results(), set[str](), []
        for res, op in zip(results, batch, strict=True):
            if res.result in ("applied", "duplicate"):
                sorted_out.acked.append((op.op_id, res.server_version))
                summary.applied += res.result == "applied"
                summary.duplicate += res.result == "duplicate"
            elif res.result in ("conflict", "rejected"):
                refused.append((op, _reason(res, op)))
                waits.add(op.case_id)
            else:
                sorted_out.retry.append((op.op_id, f"平台暂不接收（{res.code or 'retry'}）"))
                waits.add(op.case_id)
        self.store.record_results(sorted_out)
        for op, reason in refused:
            self._set_aside(op, reason, summary)
        return waits

    def _upload_for(self, batch: list[Operation], summary: Summary) -> list[Operation]:
        """Upload the batch's attachments; returns the batch without the operations whose
        attachment the platform will never take (those are set aside)."""
        refused: dict[str, str] = {}
        for sha in sorted({s for op in batch for s in _attachments(op)}):
            resume = any(op.attempts > 0 and sha in _attachments(op) for op in batch)
            try:
                self._upload(sha, summary, resume)
            except BlobRefused as error:
                refused[sha] = str(error)
        kept, dropped = [], set[str]()
        for op in batch:
            bad = [refused[s] for s in _attachments(op) if s in refused]
            if bad and op.case_id not in dropped:
                self._set_aside(op, bad[0], summary)
                dropped.add(op.case_id)
            elif op.case_id not in dropped:
                kept.append(op)
        return kept

    def _upload(self, sha256: str, summary: Summary, resume: bool) -> None:
        """Upload one attachment in chunks. A HEAD is asked only when an earlier upload of it
        may have stopped part-way (its operation was sent before, or this engine began it);
        otherwise the first chunk goes at once and a partial upload on the platform answers
        409 with its offset. Offsets that do not move on end the upload after MAX_STALLS."""
        data = self.blobs.get(sha256)
        offset = 0
        if resume or sha256 in self._partial:
            head = self._request("HEAD", f"/blobs/{sha256}")
            if head.status_code == 200:
                self._partial.discard(sha256)
                return
            if head.status_code == 206:
                offset = _offset(head, len(data), sha256)
        self._partial.add(sha256)
        stalls, sends, most = 0, 0, 2 * (len(data) // CHUNK + 1) + MAX_STALLS
        while True:
            if sends >= most or stalls > MAX_STALLS:
                raise Misbehaved(
                    f"平台对附件 {sha256[:12]}… 的续传位置反复不前进（停在 {offset}，"
                    f"已发送 {sends} 个分块），已停止上传；其余工作未受影响"
                )
            chunk = data[offset : offset + CHUNK]
            response = self._request(
                "PUT",
                f"/blobs/{sha256}",
                content=chunk,
                headers={
                    "Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{len(data)}",
                    "Content-Type": "application/pdf",
                },
            )
            sends += 1
            if response.status_code in (200, 201):
                self._partial.discard(sha256)
                summary.blobs += 1
                self.progress("bytes", len(chunk))
                return
            if response.status_code in (202, 409):
                new = _offset(response, len(data), sha256)
                moved = new > offset if response.status_code == 202 else new != offset
                stalls = 0 if moved else stalls + 1
                self.progress("bytes", len(chunk) if response.status_code == 202 else 0)
                offset = new
                continue
            if response.status_code in (400, 413, 415, 422):
                self._partial.discard(sha256)
                raise BlobRefused(
                    f"平台拒收附件 {sha256[:12]}…（{response.status_code} "
                    f"{_problem_code(response)}），请核对本机扫描件"
                )
            raise Misbehaved(f"附件上传失败（{response.status_code}）：{sha256[:12]}…")

    def verify(self) -> Verification:
        """Whether this window and the platform agree: the same acknowledged operations, and
        for every case the same status and official number (cases with operations not yet
        acknowledged are left out: they rightly differ until sent)."""
        response = self._request("GET", "/state", params={"centre_code": self.store.centre_code})
        state = _json(response)
        if response.status_code != 200 or not isinstance(state, dict):
            raise NotPlatform("平台的核对应答无效")
        ops, digest = state.get("ops"), state.get("digest")
        if not isinstance(ops, int) or not _is_int(ops) or not isinstance(digest, str):
            raise Misbehaved("平台的核对应答无效（ops 或 digest 字段不对）")
        local_ops, local_digest = self.store.acked_digest()
        try:
            remote = [CaseState.model_validate(c) for c in state.get("case_states") or []]
        except pydantic.ValidationError:
            raise Misbehaved("平台的核对应答无效（case_states 字段不对）") from None
        compared, differences, unsent = _compare_cases(self.store, remote)
        if "case_states" not in state:  # a 1.0 platform: only the operations can be compared
            compared, differences = 0, []
        return Verification(
            local_ops=local_ops,
            platform_ops=ops,
            ops_same=local_digest == digest,
            cases_compared=compared if "case_states" in state else None,
            unsent=unsent,
            differences=differences,
        )

    # --- pull ---------------------------------------------------------------------------------

    def _pull(self, summary: Summary) -> None:
        """Page by page until `more` is false. A page whose cursor does not move on while
        `more` says there is more would loop for ever: the run stops after it instead.

        The first pull after a restore asks for this window's own cases in full (`own=full`):
        those accepted after the backup come back, and numbering continues after the highest
        the platform holds. A platform that sends them light all the same (a status of a case
        this window does not hold) leaves the restore's safe margin in place."""
        refill = self.store.restore_pending()
        for _ in range(MAX_PAGES):
            cursor = self.store.meta("changes_cursor")
            params = {"limit": PAGE} | ({"since": cursor} if cursor else {})
            params |= {"own": "full"} if refill else {}
            response = self._request("GET", "/changes", params=params)
            page = _json(response)
            if response.status_code != 200 or not isinstance(page, dict):
                raise NotPlatform("平台的变更应答无效")
            changes, new_cursor, more = page.get("changes"), page.get("cursor"), page.get("more")
            if not isinstance(changes, list) or not _cursor_ok(new_cursor):
                raise Misbehaved("平台的变更应答格式无效（changes 或 cursor 字段不对）")
            if more not in (None, True, False):
                raise Misbehaved("平台的变更应答格式无效（more 不是真假值）")
            applied = self.store.apply_changes(changes, str(new_cursor))
            summary.pulled += len(changes)
            self.progress("changes", len(changes))
            summary.flagged += applied.flagged
            summary.followups += applied.followups
            summary.changes_quarantined += applied.quarantined
            if refill and applied.unknown:  # settled at once: a later run must not lower it
                self.store.settle_after_restore(complete=False)
                refill = False
            if not more:
                if refill:
                    self.store.settle_after_restore(complete=True)
                return
            if str(new_cursor) == cursor:
                raise Misbehaved(
                    f"平台的变更接口说“还有更多”，游标却停在原处（{str(new_cursor)[:40]}），"
                    "已停止取回；已取回的变更均已保存"
                )
        raise Misbehaved(f"平台的变更超过 {MAX_PAGES} 页仍未取完，本次停止，下次继续")

    def _catalog(self) -> None:
        etag = self.store.meta("catalog_etag")
        response = self._request("GET", "/catalog", headers={"If-None-Match": etag} if etag else {})
        if response.status_code == 304:
            return
        if response.status_code != 200:
            raise NotPlatform(f"平台的事项目录应答无效（{response.status_code}）")
        try:
            catalog = Catalog.model_validate(_json(response))
        except pydantic.ValidationError:
            raise NotPlatform("平台的事项目录格式无效") from None
        self.store.import_catalog(catalog, by="platform")
        tag = response.headers.get("ETag", "")
        if tag and len(tag) <= 200 and text.problem(tag) is None:
            self.store.set_meta("catalog_etag", tag)

    def _calendar(self) -> None:
        year = date.today().year
        for wanted in (year, year + 1):
            if self.store.calendar().has_year(wanted):
                continue
            response = self._request("GET", f"/calendar/{wanted}")
            if response.status_code == 200:
                try:
                    year_data = CalendarYear.model_validate(_json(response))
                except pydantic.ValidationError:
                    raise NotPlatform("平台的工作日历格式无效") from None
                self.store.store_calendar(year_data)


class OpResult(pydantic.BaseModel):
    """One answer of `POST /ops`, types checked strictly (no list taken for a string, no
    number larger than SQLite holds); members a later platform adds are ignored."""

    model_config = pydantic.ConfigDict(extra="ignore", strict=True)
    op_id: str
    result: Literal["applied", "duplicate", "conflict", "rejected", "retry"]
    server_version: int | None = pydantic.Field(None, ge=0, le=SQLITE_INT)
    code: str | None = None
    message: str | None = None


DUPLICATE_NO = (
    "办件编号 {no} 在平台上已属于另一件办件。可能的原因：两台电脑设置了同一个窗口号，"
    "或本机从旧备份恢复后重复使用了编号。请管理员核对窗口号，与平台核实后处理"
)


def _reason(res: OpResult, op: Operation) -> str:
    """The admin's line for a refused operation; the platform's own words made safe."""
    if res.code == "duplicate_local_no":
        return DUPLICATE_NO.format(no=op.payload.get("local_no", "?"))
    kind = "冲突" if res.result == "conflict" else "拒收"
    return f"平台{kind}（{_code(res.code or res.result)}）：{_words(res.message)}".rstrip("：")


def _code(value: object) -> str:
    """A code from the platform, cut to what a code is made of."""
    return "".join(c for c in str(value or "") if c.isalnum() or c in "_.-")[:40]


def _words(value: object) -> str:
    """The platform's own words for the admin, without control or format characters."""
    said = value if isinstance(value, str) else ""
    return "".join(c for c in said if text.problem(c) is None)[:200]


@dataclass(frozen=True)
class CaseDifference:
    """One field of one case on which the window and the platform disagree."""

    case_id: str
    local_no: str | None  # None: the case is not on this window at all
    field: str  # "status", "official_no" or "presence"
    local: str | None
    platform: str | None


@dataclass(frozen=True)
class Verification:
    local_ops: int
    platform_ops: int
    ops_same: bool
    cases_compared: int | None  # None: the platform does not report case states (API 1.0)
    unsent: int  # cases left out: operations not yet acknowledged
    differences: list[CaseDifference]

    @property
    def same(self) -> bool:
        return self.ops_same and not self.differences


def _compare_cases(store: Store, remote: list[CaseState]) -> tuple[int, list[CaseDifference], int]:
    """Cases compared, their differences, and how many were left out as not yet sent."""
    states, unsent = store.case_states()
    local = {s.case_id: s for s in states}
    platform = {s.case_id: s for s in remote}
    out: list[CaseDifference] = []
    compared = 0
    for case_id in sorted(local.keys() | platform.keys()):
        if case_id in unsent:
            continue
        mine, theirs = local.get(case_id), platform.get(case_id)
        compared += 1
        if mine is None or theirs is None:
            out.append(
                CaseDifference(
                    case_id,
                    mine.local_no if mine else None,
                    "presence",
                    "有" if mine else None,
                    "有" if theirs else None,
                )
            )
            continue
        for name in ("status", "official_no"):
            if getattr(mine, name) != getattr(theirs, name):
                out.append(
                    CaseDifference(
                        case_id,
                        mine.local_no,
                        name,
                        getattr(mine, name),
                        getattr(theirs, name),
                    )
                )
    return compared, out, len(unsent)


def _wire(op: Operation) -> dict:
    return op.model_dump(
        mode="json",
        include={"op_id", "case_id", "seq", "type", "at", "clerk_id", "window_no", "payload"},
    )


def _attachments(op: Operation) -> list[str]:
    materials = op.payload.get("materials") or []
    return [s for m in materials if isinstance(m, dict) for s in m.get("attachments", [])]


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SQLITE_INT


def _cursor_ok(value: object) -> bool:
    """A cursor is opaque, but it is a short string or a number, never a list or a book."""
    if _is_int(value):
        return True
    return isinstance(value, str) and 0 < len(value) <= 200 and text.problem(value) is None


def _offset(response: httpx.Response, size: int, sha256: str) -> int:
    """The `Upload-Offset` header as a number within the attachment, or `Misbehaved`."""
    raw = response.headers.get("Upload-Offset", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) >= size:
        raise Misbehaved(
            f"平台给出的续传位置无效（Upload-Offset：{raw[:20]!r}，附件 {sha256[:12]}… "
            f"共 {size} 字节）"
        )
    return int(raw)


def _problem_code(response: httpx.Response) -> str:
    body = _json(response)
    return _code(body.get("code")) if isinstance(body, dict) else ""


def _results(response: httpx.Response, ids: list[str]) -> list[OpResult]:
    """The per-operation results, checked against what was sent."""
    body = _json(response)
    if 400 <= response.status_code < 500 and isinstance(body, dict):
        raise Misbehaved(
            f"平台拒收整批 {len(ids)} 项操作（{response.status_code} {_code(body.get('code'))}）："
            f"{_words(body.get('message') or body.get('detail'))}；这些操作仍待上报"
        )
    if response.status_code != 200 or not isinstance(body, dict):
        raise NotPlatform(f"平台对操作批次的应答无效（{response.status_code}）")
    try:
        results = pydantic.TypeAdapter(list[OpResult]).validate_python(body.get("results"))
    except pydantic.ValidationError as error:
        where = ".".join(str(p) for p in error.errors()[0]["loc"])
        raise Misbehaved(f"平台对操作批次的应答格式无效（{where}）") from None
    if [r.op_id for r in results] != ids:
        raise Misbehaved("平台对操作批次的应答与所发操作对不上（数量或顺序不同）")
    return results


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0-1 s, 0-2 s, 0-4 s ... at most 30 s."""
    return random.uniform(0, min(30.0, 2.0**attempt))


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("Retry-After", "1")
    if not raw.isascii() or not raw.strip().isdigit() or len(raw) > 6:
        return 1.0
    return float(raw)
