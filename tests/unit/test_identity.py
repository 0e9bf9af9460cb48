"""Identifier checks against the standards' own examples and deliberately wrong digits."""

from datetime import date

import pytest

from offline.identity import (
    IdentityError,
    check_foreign_permanent,
    check_hmt_permit,
    check_id,
    check_phone,
    check_resident_id,
    check_uscc,
)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_gb11643_examples_are_valid(number):
    assert check_resident_id(number) == number


def test_lowercase_x_is_normalised():
    assert check_resident_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize("wrong", ["110105194912310021", "440524188001010015"])
def test_wrong_check_digit_is_refused(wrong):
    with pytest.raises(IdentityError, match="校验位错误"):
        check_resident_id(wrong)


def test_real_number_with_newer_county_code_is_accepted():
    """330212 (鄞州区) was created after 1980; python-stdnum's validate refuses this number,
    but the address code is where the number was assigned, so a real card carries it."""
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidComponent

    with pytest.raises(InvalidComponent):
        ric.validate("330212198001011238")
    assert check_resident_id("330212198001011238") == "330212198001011238"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010519491231002", "应为18位"),
        ("1101051949123100AX", "只能由数字组成"),
        ("110105194902300020", "出生日期无效"),  # 30 February, check digit valid
        ("990105194912310023", "地区码无效"),
        ("810000199001010035", "港澳台居民居住证"),
    ],
)
def test_malformed_resident_ids(number, message):
    with pytest.raises(IdentityError, match=message):
        check_resident_id(number)


def test_birth_date_in_the_future_is_refused():
    with pytest.raises(IdentityError, match="不合理"):
        check_resident_id("11010520300101001X", today=date(2026, 11, 22))


def test_hmt_permit_uses_the_same_check_digit():
    assert check_hmt_permit("810000199001010035") == "810000199001010035"
    with pytest.raises(IdentityError, match="校验位错误"):
        check_hmt_permit("810000199001010036")
    with pytest.raises(IdentityError, match="开头"):
        check_hmt_permit("330212198001011238")


def test_foreign_permanent_2023_and_2017_layouts():
    assert check_foreign_permanent("911840198506070011") == "911840198506070011"
    with pytest.raises(IdentityError, match="校验位错误"):
        check_foreign_permanent("911840198506070012")
    with pytest.raises(IdentityError, match="以9开头"):
        check_foreign_permanent("330212198001011238")
    assert check_foreign_permanent("USA318506071201") == "USA318506071201"
    # 2017 layout: structure only (sources disagree on the birth date's place and the check)
    assert check_foreign_permanent("CAN110086121501") == "CAN110086121501"
    assert check_foreign_permanent("usa 3185 0607 1201") == "USA318506071201"
    with pytest.raises(IdentityError, match="3位字母"):
        check_foreign_permanent("US3107850612011")
    with pytest.raises(IdentityError, match="3位字母"):
        check_foreign_permanent("USA31850607120")


def test_hand_entered_numbers_are_normalised_before_the_checks():
    from offline.identity import check_id

    typed = "３３０２１２　１９８００１０１１２３８"  # full-width digits, an ideographic space
    assert check_id("resident_id", typed) == "330212198001011238"
    assert check_id("resident_id", "11010519491231002x") == "11010519491231002X"
    assert check_id("resident_id", "１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert check_id("foreign_permanent", "ｕｓａ３１８５０６０７１２０１") == "USA318506071201"
    with pytest.raises(IdentityError, match="校验位错误"):
        check_id("resident_id", "３３０２１２１９８００１０１１２３９")


def test_a_number_read_from_the_chip_is_taken_as_given(caplog):
    from offline.identity import from_chip
    from offline.models import Person

    odd = "990212198001011230"  # a province code our table lacks: our rule, not the card
    with pytest.raises(ValueError, match="地区码无效"):  # typed by hand: refused
        Person(name="张三", id_type="resident_id", id_number=odd)
    person = Person.model_validate(
        {"name": "张三", "id_type": "resident_id", "id_number": odd}, context={"chip": True}
    )
    assert person.id_number == odd
    assert "fails our rule" in caplog.text and odd not in caplog.text  # logged, masked
    assert from_chip("resident_id", "330212198001011238") == "330212198001011238"


@pytest.mark.parametrize("code", ["91350100M000100Y43", "11100000000013127D"])
def test_gb32100_examples_are_valid(code):
    assert check_uscc(code) == code


def test_uscc_wrong_check_and_forbidden_letters():
    with pytest.raises(IdentityError, match="校验位错误"):
        check_uscc("91110108MA01ABCD1X")  # expected E
    with pytest.raises(IdentityError, match="无效字符"):
        check_uscc("91350100M000100I43")
    with pytest.raises(IdentityError, match="18位"):
        check_uscc("91350100M000100Y4")


def test_check_id_dispatches_and_refuses_unknown_types():
    assert check_id("passport", "e12345678") == "E12345678"
    with pytest.raises(IdentityError, match="不支持"):
        check_id("driving_licence", "123")


@pytest.mark.parametrize(
    "phone",
    ["13800001234", "+86 138 0000 1234", "0574-88120000", "057488120000", "010-12345678-123"],
)
def test_phone_numbers_accepted(phone):
    assert check_phone(phone)


@pytest.mark.parametrize("phone", ["12800001234", "1380000123", "88120000", "abc"])
def test_phone_numbers_refused(phone):
    with pytest.raises(IdentityError, match="电话号码"):
        check_phone(phone)
