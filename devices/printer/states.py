"""What a printer's status means to the clerk; without python-escpos, so that showing a
state does not load the driver."""

STATUS_TEXT = {
    "ok": "打印机正常",
    "near_end": "打印纸将尽，请准备换纸",
    "paper_out": "打印机缺纸，请装纸（打印任务已保留，装纸后自动打印）",
    "cover_open": "打印机上盖未关好（打印任务已保留）",
    "offline": "打印机脱机（打印任务已保留）",
    "unknown": "打印机状态未知（该连接方式不回传状态）",
    "unreachable": "无法连接打印机（打印任务已保留，恢复后自动打印）",
    "not_configured": "未配置（请设置 [printer] url；打印任务已保留，配置后按F11打印）",
}
READY = {"ok", "near_end", "unknown"}
