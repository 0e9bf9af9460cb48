from offline.privacy import mask_id, mask_name, mask_phone, scrub


def test_masks():
    assert mask_id("330212198001011238") == "3302**********1238"
    assert mask_id("USA318506071201") == "USA3*******1201"
    assert mask_phone("13800001234") == "138****1234"
    assert mask_name("欧阳小明") == "欧***"
    assert mask_id(None) == mask_phone("") == mask_name("") == ""


def test_scrub_masks_every_identifier_in_text():
    text = (
        "申请人 330212198001011238 代办 11010519491231002x 电话13800001234 "
        "单位91350100M000100Y43 外籍USA318506071201 办件 330212105-03-20261122-0007"
    )
    out = scrub(text)
    assert "330212198001011238" not in out and "3302**********1238" in out
    assert "11010519491231002x" not in out
    assert "13800001234" not in out and "138****1234" in out
    assert "91350100M000100Y43" not in out
    assert "USA318506071201" not in out
    assert "330212105-03-20261122-0007" in out  # case numbers are not personal data
