"""pydantic's complaints in Chinese, for whoever reads them: a catalog file, a 补录 line, the
config (which words a few its own way), an admin's input.

pydantic's `msg` is English ("Field required"); its `type` is a stable code. This maps the
code to a Chinese phrase, with the bound or choices from the error's context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REASONS = {
    "missing": "缺少此项",
    "extra_forbidden": "多余的字段（拼写错误？）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是合法的JSON",
    "json_type": "不是合法的JSON",
    "enum": "不是允许的值",
    "date_parsing": "应为日期，如 2026-11-20",
    "date_from_datetime_parsing": "应为日期，如 2026-11-20",
    "date_type": "应为日期，如 2026-11-20",
    "datetime_parsing": "应为日期时间，如 2026-11-20T09:30:00+08:00",
    "datetime_from_date_parsing": "应为日期时间，如 2026-11-20T09:30:00+08:00",
    "datetime_type": "应为日期时间，如 2026-11-20T09:30:00+08:00",
    "string_pattern_mismatch": "格式不对",
    "uuid_parsing": "不是有效的UUID",
}
BOUNDS = {
    "greater_than_equal": ("不能小于", "ge"),
    "less_than_equal": ("不能大于", "le"),
    "greater_than": ("应大于", "gt"),
    "less_than": ("应小于", "lt"),
    "string_too_short": ("至少几个字符：", "min_length"),
    "string_too_long": ("最多几个字符：", "max_length"),
    "too_short": ("至少几项：", "min_length"),
    "too_long": ("最多几项：", "max_length"),
}


def reason(error: Mapping[str, Any], words: Mapping[str, str] | None = None) -> str:
    """One pydantic error detail in Chinese; `words` words some codes another way."""
    kind, ctx = str(error["type"]), error.get("ctx") or {}
    if words and kind in words:
        return words[kind]
    if kind in REASONS:
        return REASONS[kind]
    if kind == "literal_error":
        return "应为以下之一：" + str(ctx.get("expected", "")).replace(" or ", ", ")
    if kind in BOUNDS:
        phrase, key = BOUNDS[kind]
        return f"{phrase}{ctx.get(key)}"
    if kind in ("value_error", "assertion_error"):  # our own validators speak Chinese
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"取值无效（{kind}）"


def first_problem(errors: list[Any], words: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(where, why) of the first of pydantic's errors: the dotted field path and the reason."""
    first = errors[0]
    return ".".join(str(part) for part in first["loc"]), reason(first, words)
