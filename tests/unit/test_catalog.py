import json

import pytest

from offline.catalog import CatalogFileError, demo_catalog, load_file, pinyin_keys
from offline.models import WINDOW_KIND_NAMES, Catalog, ServiceItem
from tests.conftest import PENSION


def test_demo_catalog_is_realistic():
    items = demo_catalog().items
    assert len(items) >= 24
    assert {i.category for i in items} == set(WINDOW_KIND_NAMES)
    assert {i.case_type for i in items} == {"instant", "promised"}
    for item in items:
        assert item.materials and item.form["type"] == "object"
        assert item.phone and item.basis and item.conditions
        if item.case_type == "promised":
            assert item.promised_limit.count <= item.legal_limit.count
    assert any(m.required is False for i in items for m in i.materials)
    assert any(i.allow_missing for i in items)


def test_pinyin_keys():
    assert pinyin_keys("城乡居民基本养老保险参保登记") == (
        "cxjmjbylbxcbdj",
        "chengxiangjuminjibenyanglaobaoxiancanbaodengji",
    )


@pytest.mark.parametrize(
    "text",
    ["ylbx", "YLBX", "yanglaobaoxiancanbao", "养老保险参保", "330212105-GG-0012", "cxjmjbylbxcbdj"],
)
def test_search_finds_the_pension_registration(store, text):
    assert PENSION in [i.code for i in store.search_items(text)]


def test_search_ranks_initial_prefix_first_and_filters_by_window(store):
    assert store.search_items("gtgsh")[0].name.startswith("个体工商户")
    assert store.search_items("ylbx", window_kind="agriculture") == []
    assert all("agriculture" in i.window_kinds for i in store.search_items("", "agriculture"))
    assert store.search_items("zzzz") == []


def test_equal_matches_keep_catalog_order_not_the_code_type_letters(store):
    """`ylbx` is in 养老保险参保登记 (GG-0012), 待遇申领 (GF-0013) and 医疗保险 (jbylbx too) alike:
    the catalog's own order (the code's serial) decides, not the letters of the item type."""
    found = [i.name for i in store.search_items("ylbx")]
    assert found[:2] == ["城乡居民基本养老保险参保登记", "城乡居民基本养老保险待遇申领"], found


def test_new_version_replaces_old_and_retired_versions_disappear(store):
    old = store.item(PENSION)
    store.import_catalog(
        Catalog(
            version="v2",
            items=[
                old.model_copy(
                    update={"version": 4, "name": "城乡居民基本养老保险参保登记（新版）"}
                )
            ],
        ),
        by="test",
    )
    assert store.item(PENSION).version == 4
    assert store.item(PENSION, version=1).name == old.name  # old cases still resolve
    from offline import catalog

    catalog.retire(store.db, PENSION, 4)
    assert store.item(PENSION).version == 1


def test_load_file_accepts_platform_json_or_a_list(tmp_path):
    item = demo_catalog().items[0].model_dump(mode="json")
    (tmp_path / "a.json").write_text(json.dumps({"version": "x", "items": [item]}), "utf-8")
    (tmp_path / "b.json").write_text(json.dumps([item]), "utf-8")
    (tmp_path / "c.json").write_text("{not json", "utf-8")
    assert len(load_file(str(tmp_path / "a.json")).items) == 1
    assert load_file(str(tmp_path / "b.json")).version == "imported"
    with pytest.raises(CatalogFileError, match="JSON"):
        load_file(str(tmp_path / "c.json"))


def test_item_rules():
    base = demo_catalog().items[0].model_dump()
    with pytest.raises(ValueError, match="allow_missing"):
        ServiceItem.model_validate({**base, "allow_missing": ["M99"]})
    with pytest.raises(ValueError, match="exceeds"):
        ServiceItem.model_validate({**base, "promised_limit": {"unit": "workday", "count": 99}})
