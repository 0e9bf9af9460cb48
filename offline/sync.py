"""Sync with the central platform (`platform-api.md`): exactly once in effect, resumable.

One run: upload the attachments of pending operations (resuming from the platform's offset),
push the operations in the order they were made (each case's in `seq` order) marking them in
flight first, then pull `/changes` page by page (each page with its cursor in one
transaction), the catalog (ETag) and the working-day calendar. Only answers that carry
`X-Platform-Api: 1` count; a captive portal's 200 is not success. 401/403 stop the run. "The
platform is unreachable" is a result (`online=False`), not a crash.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from urllib.parse import urlsplit

import httpx
import pydantic

from offline.blobs import BlobStore
from offline.clock import now
from offline.models import CalendarYear, Catalog, Operation
from offline.store import Store

log = logging.getLogger("offline.sync")
MAX_OPS, MAX_BYTES, CHUNK = 200, 4 * 1024 * 1024, 1024 * 1024


class SyncError(Exception):
    """A sync run could not finish; `str()` is the admin's message."""


class AuthRejected(SyncError):
    """The platform refused this device's token (401/403): re-enrol; retrying cannot help."""


class NotPlatform(SyncError):
    """An answer that did not come from the platform (captive portal, proxy, garbage)."""


@dataclass(frozen=True)
class Platform:
    url: str  # e.g. https://platform.example.gov.cn/api/v1
    device_id: str
    token: str

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
    quarantined: int = 0
    pending: int = 0
    pulled: int = 0
    flagged: int = 0
    followups: int = 0
    blobs: int = 0
    bytes: int = 0
    purged: int = 0
    online: bool = True
    refused: bool = False
    error: str = ""

    @property
    def exit_code(self) -> int:
        """0 all acknowledged, 1 work remains (unreachable), 2 quarantined or refused."""
        if self.quarantined or self.refused:
            return 2
        return 0 if self.online and not self.pending and not self.error else 1

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
        self.progress = progress or (lambda what, n: None)
        self.client = httpx.Client(
            base_url=platform.url.rstrip("/"),
            timeout=timeout,
            transport=transport,
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

    def run(self) -> Summary:
        summary, sent_before = Summary(), self.blob_bytes
        self.store.reset_in_flight()
        try:
            self._push(summary)
            self._pull(summary)
            self._catalog()
            self._calendar()
            self.store.set_meta("last_success", now().isoformat())
        except httpx.TransportError as error:
            summary.online, summary.error = False, f"平台无法连接：{type(error).__name__}"
        except AuthRejected as error:
            summary.refused, summary.error = True, str(error)
        except SyncError as error:
            summary.online, summary.error = False, str(error)
        self.store.reset_in_flight()  # an answer that never came: resend next time (safe)
        summary.bytes = self.blob_bytes - sent_before
        summary.pending = self.store.outbox_counts()["pending"]
        log.info("sync run: %s", json.dumps(summary.as_dict(), ensure_ascii=False))
        return summary

    # --- HTTP with the contract's rules -------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
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
            if response.status_code in (429, 503) and not last:
                self.sleep(min(_retry_after(response), 300))
                continue
            if response.status_code >= 500 and not last:
                self.sleep(_backoff(attempt))
                continue
            if response.status_code >= 500 or response.status_code in (429, 503):
                raise SyncError(f"平台暂时无法处理（{response.status_code}），稍后再试")
            return response
        raise AssertionError("unreachable")

    # --- push ---------------------------------------------------------------------------------

    def _push(self, summary: Summary) -> None:
        while ops := self._batch():
            for sha in {s for op in ops for s in _attachments(op)}:
                self._upload(sha, summary)
            ids = [op.op_id for op in ops]
            self.store.mark(ids, "in_flight")
            body = json.dumps({"ops": [_wire(op) for op in ops]}, ensure_ascii=False).encode()
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
            if results is None:
                self.store.mark(ids, "pending", "平台应答格式错误")
                raise NotPlatform(f"平台对操作批次的应答无效（{response.status_code}）")
            summary.sent += len(ops)
            if not self._record(results, summary):
                break  # everything left waits for something (seq gap, blob): next run
            self.progress("ops", len(ops))

    def _batch(self) -> list[Operation]:
        ops: list[Operation] = []
        size = 0
        for op in self.store.unsent(MAX_OPS):
            size += len(json.dumps(_wire(op), ensure_ascii=False).encode())
            if ops and size > MAX_BYTES - 1024:
                break
            ops.append(op)
        return ops

    def _record(self, results: list[dict], summary: Summary) -> bool:
        moved = False
        for res in results:
            op_id, outcome = res["op_id"], res["result"]
            if outcome in ("applied", "duplicate"):
                self.store.mark([op_id], "acked", server_version=res.get("server_version"))
                summary.applied += outcome == "applied"
                summary.duplicate += outcome == "duplicate"
                moved = True
            elif outcome in ("conflict", "rejected"):
                reason = f"{outcome}: {res.get('code', '')} {res.get('message', '')}".strip()
                self.store.mark([op_id], "quarantined", reason)
                summary.quarantined += 1
                moved = True
            else:
                self.store.mark([op_id], "pending", f"retry: {res.get('code', '')}")
        return moved

    def _upload(self, sha256: str, summary: Summary) -> None:
        if sha256 not in self.blobs:
            return  # the platform will answer missing_blob; the op waits, nothing is lost
        data = self.blobs.get(sha256)
        head = self._request("HEAD", f"/blobs/{sha256}")
        if head.status_code == 200:
            return
        offset = int(head.headers.get("Upload-Offset", 0)) if head.status_code == 206 else 0
        while offset < len(data):
            chunk = data[offset : offset + CHUNK]
            end = offset + len(chunk) - 1
            response = self._request(
                "PUT",
                f"/blobs/{sha256}",
                content=chunk,
                headers={
                    "Content-Range": f"bytes {offset}-{end}/{len(data)}",
                    "Content-Type": "application/pdf",
                },
            )
            if response.status_code in (200, 201):
                summary.blobs += 1
                self.progress("bytes", len(chunk))
                return
            if response.status_code in (202, 409) and "Upload-Offset" in response.headers:
                offset = int(response.headers["Upload-Offset"])
                self.progress("bytes", len(chunk))
                continue
            raise SyncError(f"附件上传失败（{response.status_code}）：{sha256[:12]}")

    def verify(self) -> tuple[int, int, bool]:
        """(operations acknowledged here, operations the platform holds, same set?)."""
        response = self._request("GET", "/state", params={"centre_code": self.store.centre_code})
        state = _json(response)
        if response.status_code != 200 or not isinstance(state, dict) or "digest" not in state:
            raise NotPlatform("平台的核对应答无效")
        local = self.store.acked_digest()
        return local[0], int(state["ops"]), local[1] == state["digest"]

    # --- pull ---------------------------------------------------------------------------------

    def _pull(self, summary: Summary) -> None:
        while True:
            cursor = self.store.meta("changes_cursor")
            params = {"limit": 500} | ({"since": cursor} if cursor else {})
            response = self._request("GET", "/changes", params=params)
            page = _json(response)
            if (
                response.status_code != 200
                or not isinstance(page, dict)
                or not isinstance(page.get("changes"), list)
                or "cursor" not in page
            ):
                raise NotPlatform("平台的变更应答无效")
            try:
                applied = self.store.apply_changes(page["changes"], str(page["cursor"]))
            except (KeyError, TypeError, ValueError) as error:  # the page is rolled back
                raise NotPlatform(f"平台的变更数据无效：{type(error).__name__}") from None
            summary.pulled += len(page["changes"])
            summary.flagged += applied.flagged
            summary.followups += applied.followups
            if not page.get("more"):
                return

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
        if "ETag" in response.headers:
            self.store.set_meta("catalog_etag", response.headers["ETag"])

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


def _results(response: httpx.Response, ids: list[str]) -> list[dict] | None:
    """The per-operation results, or None when the answer does not match what was sent."""
    body = _json(response)
    if response.status_code != 200 or not isinstance(body, dict):
        return None
    results = body.get("results")
    if (
        not isinstance(results, list)
        or len(results) != len(ids)
        or [r.get("op_id") if isinstance(r, dict) else None for r in results] != ids
        or any(
            r.get("result") not in ("applied", "duplicate", "conflict", "rejected", "retry")
            for r in results
        )
    ):
        return None
    return results


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0-1 s, 0-2 s, 0-4 s ... at most 30 s."""
    return random.uniform(0, min(30.0, 2.0**attempt))


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
