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
