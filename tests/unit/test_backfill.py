"""补录 from a JSONL file: validated like the window, dated as on paper, never twice."""

import json

from click.testing import CliRunner

from clerk.cli import main
from tests.conftest import INIT


def line(ref, name="张三", id_number="330212198001011238", **extra):
    case = {
        "item": {"code": "330212105-GG-0012", "version": 1, "name": "城乡居民基本养老保险参保登记"},
        "applicant": {
            "kind": "person",
            "name": name,
            "id_type": "resident_id",
            "id_number": id_number,
        },
        "form": {"contribution_grade": "500元", "bank_account": "6228480012345678901"},
        "materials": [
            {"code": "M01", "name": "", "status": "received", "copies": 1},
            {"code": "M02", "name": "", "status": "missing_allowed"},
        ],
        "accepted_at": "2026-11-20T09:30:00+08:00",
        "clerk_id": "admin",
        "window_no": 3,
        "source_ref": ref,
    }
    return json.dumps(case | extra, ensure_ascii=False)


def test_import_once_with_recorded_dates(tmp_path):
    runner = CliRunner()
    home = ["--home", str(tmp_path / "h")]
    assert runner.invoke(main, [*home, *INIT], input="0000\n").exit_code == 0
    good = tmp_path / "paper.jsonl"
    good.write_text(
        "\n".join(
            [
                line("登记簿第12页第1行"),
                line(
                    "登记簿第12页第2行",
                    "李四",
                    "440524188001010014",
                    refusal={"reason": "材料不全且不允许容缺", "refer_to": None},
                ),
            ]
        )
        + "\n",
        "utf-8",
    )
    out = runner.invoke(main, [*home, "case", "import", str(good)])
    assert out.exit_code == 0, out.output
    assert "已补录 2 件" in out.output and "330212105-03-20261120-0001" in out.output
    again = runner.invoke(main, [*home, "case", "import", str(good)])
    assert "已补录 0 件，已存在跳过 2 件" in again.output
    cases = json.loads(runner.invoke(main, [*home, "case", "list", "--json"]).output)
    assert sorted(c["status"] for c in cases) == ["accepted_missing", "refused"]
    assert all(c["payload"]["accepted_at"].startswith("2026-11-20T09:30") for c in cases)
    accepted = next(c for c in cases if c["status"] == "accepted_missing")
    assert accepted["payload"]["promised_by"] == "2026-12-02"  # 8 workdays from Fri 20 Nov


def test_a_bad_line_is_named_and_nothing_is_created(tmp_path):
    runner = CliRunner()
    home = ["--home", str(tmp_path / "h")]
    runner.invoke(main, [*home, *INIT], input="0000\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line("a") + "\n" + line("b", id_number="330212198001011239") + "\n", "utf-8")
    out = runner.invoke(main, [*home, "case", "import", str(bad)])
    assert out.exit_code == 1 and "第2行" in out.output and "校验位错误" in out.output
    assert json.loads(runner.invoke(main, [*home, "case", "list", "--json"]).output) == []


def test_a_bad_file_creates_nothing_and_names_the_exact_line(tmp_path):
    from offline.backfill import BackfillError, import_file
    from offline.store import Store

    home = tmp_path / "h"
    assert CliRunner().invoke(main, ["--home", str(home), *INIT], input="0000\n").exit_code == 0
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    paper = tmp_path / "paper.jsonl"
    bad_id = line("P-3", id_number="330212198001011234")
    paper.write_text("\n".join([line("P-1"), "", "", line("P-2"), bad_id]) + "\n", "utf-8")
    try:
        import_file(store, paper)
    except BackfillError as error:
        assert str(error).startswith("第5行") and "未导入" in str(error)
    else:
        raise AssertionError("the bad line was taken")
    assert store.case_by_source("P-1") is None  # all or nothing
    paper.write_text("\n" + line("P-1", source_ref={"x": 1}) + "\n", "utf-8")
    try:
        import_file(store, paper)
    except BackfillError as error:
        assert str(error).startswith("第2行：source_ref")
    paper.write_text(line("P-1", name="张\u202e三") + "\n", "utf-8")
    try:
        import_file(store, paper)
    except BackfillError as error:
        assert "控制字符" in str(error) and str(error).startswith("第1行")
    store.close()


def test_two_imports_at_once_are_serialised_with_a_clear_message(tmp_path):
    import fcntl
    import os

    from offline.backfill import BackfillError, import_file
    from offline.store import Store

    home = tmp_path / "h"
    assert CliRunner().invoke(main, ["--home", str(home), *INIT], input="0000\n").exit_code == 0
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    paper = tmp_path / "paper.jsonl"
    paper.write_text(line("P-1") + "\n", "utf-8")
    held = os.open(home / "clerk.db.import.lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # another import is running
    try:
        import_file(store, paper)
    except BackfillError as error:
        assert "另一个补录导入正在进行" in str(error)
    finally:
        os.close(held)
    assert len(import_file(store, paper).created) == 1
    assert import_file(store, paper).skipped == 1
    store.close()
