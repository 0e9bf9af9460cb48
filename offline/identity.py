"""Identifier checks: resident ID, residence permits, foreign permanent cards, USCC, phones.

Check digits come from python-stdnum (GB 11643 MOD 11-2, GB 32100 MOD 31). We do not use
`stdnum.cn.ric.validate` itself: it rejects genuine numbers whose county code is newer than
the birth date (the address code is where the number was *assigned*), and a card the reader
read is authentic. Every failure is an `IdentityError` with a message for the clerk.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from usererror import UserError

# GB/T 2260 province codes of mainland resident ID numbers.
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37}
_PROVINCES |= {41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65}
_HMT_PREFIXES = ("810000", "820000", "830000")  # Hong Kong, Macao, Taiwan
_USCC_ALPHABET = set("0123456789ABCDEFGHJKLMNPQRTUWXY")
_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")

ID_TYPE_NAMES = {
    "resident_id": "居民身份证",
    "hmt_permit": "港澳台居民居住证",
    "foreign_permanent": "外国人永久居留身份证",
    "passport": "护照",
    "uscc": "统一社会信用代码",
}


log = logging.getLogger("offline.identity")


class IdentityError(UserError, ValueError):
    """An identifier that fails its check; `str()` is the clerk's message."""


def normalise(number: str) -> str:
    """A number as typed, the way the rules read it: full-width digits and letters made
    half-width (NFKC: `３３０２…Ｘ` is `3302…X`), spaces (the ideographic one too) and
    hyphens dropped, letters upper-case."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", number)).upper()


_compact = normalise


def _mod11_number(number: str, kind: str, today: date | None) -> str:
    """Shared rule of the 18-character GB 11643 layout: digits, check digit, birth date."""
    if len(number) != 18:
        raise IdentityError(f"{kind}号码应为18位，现为{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentityError(f"{kind}号码只能由数字组成，最后一位可为X")
    if number[17] != ric.calc_check_digit(number):
        raise IdentityError(f"{kind}号码校验位错误，请核对号码")
    try:
        born = ric.get_birth_date(number)
    except StdnumError:
        raise IdentityError(f"{kind}号码中的出生日期无效") from None
    if born > (today or date.today()) or born.year < 1850:
        raise IdentityError(f"{kind}号码中的出生日期不合理")
    return number


def check_resident_id(number: str, today: date | None = None) -> str:
    """Normalise and check a 居民身份证 number; returns it with an upper-case X."""
    number = _compact(number)
    if number.startswith(_HMT_PREFIXES):
        raise IdentityError("该号码为港澳台居民居住证号码，请选择对应证件类型")
    _mod11_number(number, "身份证", today)
    if int(number[:2]) not in _PROVINCES:
        raise IdentityError("身份证号码的地区码无效")
    return number


def check_hmt_permit(number: str, today: date | None = None) -> str:
    """港澳台居民居住证: 810000/820000/830000 + the resident ID layout."""
    number = _compact(number)
    if not number.startswith(_HMT_PREFIXES):
        raise IdentityError("港澳台居民居住证号码应以810000、820000或830000开头")
    return _mod11_number(number, "居住证", today)


def check_foreign_permanent(number: str, today: date | None = None) -> str:
    """外国人永久居留身份证: 2023 layout (18 digits from 9) or 2017 layout (3 letters + 12 digits).

    The 2017 layout is checked for its structure only. Published descriptions disagree on
    where its birth date sits (positions 6-11 after a 2-digit province, or 8-13 after a
    4-digit region) and on its check digit (a 7-3-1 weighting in one implementation), and we
    found no real numbers to prove either against; a rule that may be wrong would refuse
    genuine cards, so none is applied.
    """
    number = _compact(number)
    if len(number) == 18:
        if not number.startswith("9"):
            raise IdentityError("新版永久居留身份证号码应以9开头")
        return _mod11_number(number, "永久居留身份证", today)
    if not _FOREIGN_2017.match(number):
        raise IdentityError("永久居留身份证号码应为18位数字，或3位字母加12位数字")
    return number


def check_passport(number: str, today: date | None = None) -> str:
    """Passports differ by country: 5-20 letters and digits."""
    number = _compact(number)
    if not _PASSPORT.match(number):
        raise IdentityError("护照号码应为5至20位字母或数字")
    return number


def check_uscc(number: str, today: date | None = None) -> str:
    """统一社会信用代码 (GB 32100): 18 characters without I, O, S, V, Z; MOD 31 check."""
    number = _compact(number)
    if len(number) != 18:
        raise IdentityError(f"统一社会信用代码应为18位，现为{len(number)}位")
    if set(number) - _USCC_ALPHABET:
        raise IdentityError("统一社会信用代码含有无效字符（不使用I、O、S、V、Z）")
    if not number[2:8].isdigit():
        raise IdentityError("统一社会信用代码第3至8位应为行政区划码")
    if number[17] != uscc.calc_check_digit(number):
        raise IdentityError("统一社会信用代码校验位错误，请核对")
    return number


_CHECKS = {
    "resident_id": check_resident_id,
    "hmt_permit": check_hmt_permit,
    "foreign_permanent": check_foreign_permanent,
    "passport": check_passport,
    "uscc": check_uscc,
}


def check_id(id_type: str, number: str, today: date | None = None) -> str:
    """Check `number` as an identifier of `id_type`; returns the normalised number."""
    try:
        check = _CHECKS[id_type]
    except KeyError:
        raise IdentityError(f"不支持的证件类型：{id_type}") from None
    return check(number, today)


def from_chip(id_type: str, number: str) -> str:
    """A number the card reader read: the chip is authentic, so it is taken as given. A format
    rule it fails is ours to fix, so it is logged (masked), never refused."""
    number = number.strip()
    try:
        return check_id(id_type, number)
    except IdentityError as error:
        masked = number[:4] + "*" * max(len(number) - 8, 0) + number[-4:]
        log.warning("number read from the chip fails our rule (%s): %s", masked, error)
        return number


def check_phone(number: str) -> str:
    """Mainland mobile (11 digits from 1) or landline with area code (0574-88000000)."""
    number = re.sub(r"[\s()（）]", "", number)
    if number.startswith("+86"):
        number = number[3:]
    if _MOBILE.match(number) or _LANDLINE.match(number):
        return number
    raise IdentityError("电话号码格式不正确（手机11位，座机需带区号）")
