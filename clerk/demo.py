"""The demo window: a centre, its clerks and a few sample cases, all fictitious.

ID numbers below are made up but carry valid check digits, as a real card's would.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

from clerk import config
from clerk.hall.client import Hall
from offline.bundles import BundleIntake, MemberEntry
from offline.catalog import demo_catalog
from offline.clock import now
from offline.intake import Intake
from offline.models import CaseMaterial, Clerk, Delivery, Person, Refusal, Role, WindowKind
from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from offline.store import Store

CENTRE = {"code": "330212105", "name": "示范镇便民服务中心", "phone": "0574-88120000"}


class DemoWindow(TypedDict):
    no: int
    kind: WindowKind
    clerk: str


WINDOW: DemoWindow = {"no": 3, "kind": "general", "clerk": "c0107"}
CLERKS: list[tuple[str, str, Role, str]] = [
    ("admin", "王管理", "admin", "000000"),
    ("c0107", "李娜", "clerk", "1234"),
    ("c0108", "陈伟", "clerk", "5678"),
]
PENSION = "330212105-GG-0012"
NEWBORN = "330212105-YJS-01"  # 新生儿出生一件事
LOGIN_HINT = (
    "演示：李娜 c0107 / 1234（本窗口A岗），陈伟 c0108 / 5678（AB岗）\n"
    "Ctrl+B 放一张演示身份证；评价时按 1-5 代替群众按评价器；事项处输入 xsecs 办理新生儿出生一件事"
)


def _person(name: str, id_number: str, phone: str) -> Person:
    return Person(
        name=name,
        id_type="resident_id",
        id_number=id_number,
        phone=phone,
        address="浙江省宁波市示范镇和平村",
    )


def _received(code: str) -> CaseMaterial:
    return CaseMaterial(code=code, name="", status="received", original_checked=True, copies=1)


SAMPLES = [
    (
        "demo:1",
        Intake(
            item_code=PENSION,
            ticket="C001",
            applicant=_person("张三", "330212198001011238", "13800001234"),
            form={"contribution_grade": "500元", "bank_account": "6228480012345678901"},
            materials=[_received("M01"), _received("M02")],
        ),
        None,
    ),
    (
        "demo:2",
        Intake(
            item_code=PENSION,
            ticket="C002",
            applicant=_person("赵秀英", "330212196503152023", "13900005678"),
            form={"contribution_grade": "300元", "bank_account": "6228480098765432109"},
            materials=[
                _received("M01"),
                CaseMaterial(code="M02", name="", status="missing_allowed"),
            ],
        ),
        None,
    ),
    (
        "demo:3",
        Intake(
            item_code="330212105-XK-0041",
            ticket="C003",
            applicant=_person("钱国强", "330212199207084517", "13700009999"),
            form={},
            materials=[_received("M01")],
        ),
        Refusal(reason="经营场所位于规划禁止经营区域", refer_to="区市场监督管理局登记窗口"),
    ),
]


def _newborn() -> BundleIntake:
    """周建华 for his daughter: 新生儿出生一件事, all three members, results by post."""
    parent = _person("周建华", "330212198803157618", "13600002468")
    return BundleIntake(
        bundle_code=NEWBORN,
        ticket="C004",
        applicant=parent,
        shared_form={"child_name": "周思语", "child_birth_date": "2026-11-26"},
        members=[
            MemberEntry(
                item_code="330212105-GG-0037", form={"child_gender": "女", "relation": "父亲"}
            ),
            MemberEntry(item_code="330212105-GG-0038", form={"insured_year": 2026}),
            MemberEntry(item_code="330212105-GG-0039", form={"bank": "宁波银行"}),
        ],
        materials=[_received(f"S0{n}") for n in range(1, 5)]
        + [CaseMaterial(code="S05", name="", status="missing_allowed")],
        delivery=Delivery(method="post", address=parent.address, phone=parent.phone),
    )


def simulate_devices(settings: config.Settings, home: Path) -> None:
    """Every device of the demo window is a simulator, said so by its `sim:` address; the
    voice writes each call as a WAV file instead of needing a sound card."""
    for section in (settings.idcard, settings.printer, settings.display, settings.evaluator):
        section.url = config.SIMULATED
    settings.scanner.device = config.SIMULATED
    settings.voice.output = str(home / "voice")


def prepare(store: Store, by: str) -> None:
    """Fill an empty demo store; running it again changes nothing."""
    known = {c.clerk_id for c in store.clerks()}
    for clerk_id, name, role, pin in CLERKS:
        if clerk_id not in known:
            store.add_clerk(Clerk(clerk_id=clerk_id, name=name, role=role), pin, by=by)
    if not store.items():
        store.import_catalog(demo_catalog(), by=by)
    earlier = now() - timedelta(hours=2)
    for n, (ref, entry, refusal) in enumerate(SAMPLES):
        at = earlier + timedelta(minutes=20 * n)
        if refusal:
            store.refuse(entry, refusal, clerk_id="c0107", at=at, source_ref=ref)
        else:
            store.accept(entry, clerk_id="c0107", at=at, source_ref=ref)
    at = earlier - timedelta(minutes=20)  # the first of the day
    store.accept_bundle(_newborn(), clerk_id="c0107", at=at, source_ref="demo:bundle")


# --- the running demo: a local platform, tickets arriving, the desk ---------------------------

TICKET_KINDS = ["general", "general", "social_security", "civil_affairs"]


class DemoHall:
    """The demo's world around the window: the reference platform on loopback, moving cases
    on by itself, and citizens taking tickets at the kiosk now and then."""

    def __init__(self, home: Path, advance_every: float = 30.0, ticket_every: float = 40.0):
        self.home = home
        self.platform = PlatformStore(home / "platform.db")
        self.server, self.url = serve_in_thread(self.platform)
        self.advance_every, self.ticket_every = advance_every, ticket_every
        self._stop = threading.Event()

    def enrol(self, settings: config.Settings, device_id: str = "demo-window-3") -> None:
        """Register this window with the local platform, as `clerk enrol` would."""
        token = self.platform.add_device(device_id, settings.centre.code)
        config.enrol(self.home, settings, self.url, device_id, token)

    def start(self, hall: Hall, first: int = 4) -> None:
        for n in range(first):
            hall.issue(TICKET_KINDS[n % len(TICKET_KINDS)], green=(n == 2))
        threading.Thread(target=self._run, args=(hall,), daemon=True).start()

    def _run(self, hall: Hall) -> None:
        last_ticket = last_advance = time.monotonic()
        while not self._stop.wait(1.0):
            if time.monotonic() - last_ticket >= self.ticket_every:
                last_ticket = time.monotonic()
                with contextlib.suppress(Exception):  # a closed day or a cap: try later
                    hall.issue(random.choice(TICKET_KINDS))
            if time.monotonic() - last_advance >= self.advance_every:
                last_advance = time.monotonic()
                self.platform.advance()

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
