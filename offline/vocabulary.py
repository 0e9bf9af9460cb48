"""The one table of names people read for the codes the machine records: audit actions,
platform operations and their delivery states, and who did it. The desk's case timeline, the
CLI's `audit list` and `case show` all name codes from here, so a clerk and an admin see the
same word for the same thing. A code missing here is shown as 其他操作 with the code, never
as bare English."""

from __future__ import annotations

ACTION_NAMES: dict[str, str] = {
    # cases, as sent to the platform (OpType) and as audited
    "case.accept": "受理",
    "case.reject": "不予受理",
    "case.correction_notice": "补正告知",
    "case.correction_received": "补正材料已收",
    "case.deliver": "出件",
    "case.withdraw": "撤回申请",
    "case.note": "备注",
    "case.reveal": "查看完整证件号码",
    "case.import": "补录纸质办件",
    "case.flag_cleared": "已核对平台变更",
    "evaluation.create": "好差评",
    "evaluation.none": "群众未评价",
    "evaluation.followup": "差评回访",
    "platform.status": "平台状态变更",
    "platform.snapshot": "平台同步办件",
    "platform.enrol": "登记到平台",
    "platform.token": "更换平台凭据",
    "retention.purge": "清除过期个人信息",
    "sync.requeue": "重新上报",
    # the window
    "login": "身份验证",
    "login.failed": "PIN错误",
    "desk.login": "登录",
    "desk.logout": "退出登录",
    "desk.lock": "锁屏",
    "desk.unlock": "解锁",
    "desk.takeover": "AB岗顶岗",
    "desk.pause": "暂停服务",
    "desk.resume": "恢复服务",
    "print.again": "补打",
    "print.reprint": "补打（命令行）",
    "notice.one_time": "一次性告知",
    "consultation": "咨询",
    "handover.note": "交接留言",
    "draft.park": "暂存录入",
    "draft.discard": "清空录入",
    "draft.notice": "录入转一次性告知",
    "draft.consult": "录入转咨询",
    # administration
    "machine.init": "初始化本机",
    "clerk.add": "添加人员",
    "clerk.passwd": "重设PIN",
    "clerk.enable": "启用人员",
    "clerk.disable": "停用人员",
    "catalog.import": "导入事项目录",
    "db.backup": "备份数据库",
    "idcard.reveal": "读卡显示完整证件号码",
}

OP_STATE_NAMES: dict[str, str] = {
    "pending": "待上报",
    "in_flight": "上报中",
    "acked": "平台已接收",
    "quarantined": "平台拒收",
}


def action_name(code: str) -> str:
    """The Chinese name of an audit action or platform operation."""
    return ACTION_NAMES.get(code, f"其他操作（{code}）")


def op_state_name(state: str) -> str:
    return OP_STATE_NAMES.get(state, state)


def actor_name(clerk_id: str, names: dict[str, str] | None = None) -> str:
    """Who did it, as a person reads it: 平台, 命令行（root）, or 李娜（c0107）."""
    if clerk_id == "platform":
        return "平台"
    if clerk_id.startswith("cli:"):
        return f"命令行（{clerk_id.removeprefix('cli:')}）"
    name = (names or {}).get(clerk_id)
    return f"{name}（{clerk_id}）" if name else f"工号 {clerk_id}"
