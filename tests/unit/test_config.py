import json

import pytest

from clerk import config
from clerk.cli.devices import sample_receipt
from clerk.services import NoDisplay, build
from devices.errors import DeviceNotConfigured
from tests.conftest import INIT, cli


def test_toml_file_then_environment(tmp_path, monkeypatch):
    settings = config.Settings(
        centre=config.CentreSection(code="330212105", name="示范镇"),
        window=config.WindowSection(no=3, kind="general"),
    )
    path = config.save(tmp_path, settings)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert config.load(tmp_path).window.no == 3
    monkeypatch.setenv("CLERK_WINDOW__NO", "5")
    monkeypatch.setenv("CLERK_CENTRE__NAME", "另一个中心")
    loaded = config.load(tmp_path)
    assert (loaded.window.no, loaded.centre.name, loaded.centre.code) == (
        5,
        "另一个中心",
        "330212105",
    )


def test_home_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("CLERK_HOME", str(tmp_path / "env"))
    assert config.resolve_home() == tmp_path / "env"
    assert config.resolve_home(tmp_path / "opt") == tmp_path / "opt"
    monkeypatch.delenv("CLERK_HOME")
    assert config.resolve_home().name == "window-clerk"
    assert not config.load(tmp_path / "empty").initialised


# --- production mode: the file checks itself -------------------------------------------------

PRINTER_TYPO = """[centre]
code = "330212105"

[printer]
ulr = "tcp://192.168.1.50:9100"
"""


def write(home, text):
    home.mkdir(parents=True, exist_ok=True)
    (home / config.CONFIG_FILE).write_text(text, "utf-8")


def test_an_unknown_key_is_refused_with_file_line_and_key(tmp_path):
    write(tmp_path, PRINTER_TYPO)
    with pytest.raises(config.ConfigError) as refused:
        config.load(tmp_path)
    assert str(refused.value) == (
        f"配置文件 {tmp_path / 'clerk.toml'} 第5行 printer.ulr：未知的配置项（拼写错误？）"
    )


def test_an_unknown_table_is_refused(tmp_path):
    write(tmp_path, '[printr]\nurl = "x"\n')
    with pytest.raises(config.ConfigError, match="第1行 printr：未知的配置项"):
        config.load(tmp_path)


def test_a_syntax_error_names_its_line_in_one_chinese_line(tmp_path):
    write(tmp_path, '[centre]\ncode = "330212105"\nname = \n')
    with pytest.raises(config.ConfigError, match="第3行第8列有语法错误"):
        config.load(tmp_path)
    out = cli(tmp_path, "case", "list", code=1)
    assert out.count("\n") == 1 and "第3行第8列有语法错误" in out and "内部错误" not in out


def test_validation_messages_are_chinese(tmp_path, monkeypatch):
    write(tmp_path, '[window]\nno = "three"\n\n[printer]\npaper_mm = 57\n')
    with pytest.raises(config.ConfigError, match=r"第2行 window.no：应为整数"):
        config.load(tmp_path)
    write(tmp_path, "[printer]\npaper_mm = 57\n")
    with pytest.raises(config.ConfigError, match=r"第2行 printer.paper_mm：应为以下之一：58, 80"):
        config.load(tmp_path)
    write(tmp_path, "[window]\nno = 100\n")
    with pytest.raises(config.ConfigError, match=r"window.no：不能大于99"):
        config.load(tmp_path)
    write(tmp_path, "")
    monkeypatch.setenv("CLERK_WINDOW__NO", "x")
    with pytest.raises(config.ConfigError, match="环境变量 CLERK_WINDOW__NO：应为整数"):
        config.load(tmp_path)


def test_config_set_validates_and_writes_atomically(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT, input="0000\n")
    assert "已修改 printer.url = tcp://10.0.0.9:9100" in cli(
        home, "config", "set", "printer.url", "tcp://10.0.0.9:9100"
    )
    cli(home, "config", "set", "printer.paper_mm", "58")
    cli(home, "config", "set", "desk.keys.desk.call_next", "f2")
    loaded = config.load(home)
    assert (loaded.printer.url, loaded.printer.paper_mm) == ("tcp://10.0.0.9:9100", 58)
    assert loaded.desk.keys == {"desk.call_next": "f2"}
    before = (home / "clerk.toml").read_bytes()
    assert "应为以下之一：58, 80（未修改）" in cli(
        home, "config", "set", "printer.paper_mm", "57", code=1
    )
    assert "没有配置项 printer.ulr" in cli(home, "config", "set", "printer.ulr", "x", code=1)
    assert "应为整数" in cli(home, "config", "set", "window.no", "abc", code=1)
    assert (home / "clerk.toml").read_bytes() == before
    assert oct((home / "clerk.toml").stat().st_mode & 0o777) == "0o600"
    assert not list(home.glob(".clerk.toml*"))  # no temporary file left behind
    cli(home, "config", "set", "hall.key", "s3cret")
    shown = cli(home, "config", "show")
    assert "s3cret" not in shown and 'key = "***"' in shown


def test_config_check_lists_what_is_not_configured(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT, input="0000\n")
    report = json.loads(cli(home, "config", "check", "--json"))
    states = {row["item"]: row["state"] for row in report["items"]}
    assert states["票据打印机"] == "未配置" and states["本窗口A岗"] == "c0107"
    cli(home, "config", "set", "printer.url", "sim:")
    assert "模拟（sim:）" in cli(home, "config", "check")


def test_an_unset_device_is_not_configured_not_simulated(tmp_path):
    home = tmp_path / "home"
    cli(home, *INIT, input="0000\n")
    svc = build(home)
    try:
        for open_device in (svc.reader, svc.evaluator, svc.scanner):
            with pytest.raises(DeviceNotConfigured, match="未配置"):
                open_device()
        assert isinstance(svc.display(), NoDisplay)
        result = svc.printer().print(sample_receipt())
        assert (result.printed, result.waiting, result.status) == (0, 1, "not_configured")
        assert svc.printer_simulator is None and not (home / "printer-simulator").exists()
    finally:
        svc.close()
    cli(home, "config", "set", "voice.engine", "none")
    found = json.loads(cli(home, "device", "check", "--json"))  # 未配置 is no failure
    assert {f["device"]: f["state"] for f in found} == dict.fromkeys(
        ["idcard", "printer", "display", "voice", "evaluator", "scanner"], "未配置"
    )
    assert all(f["fix"].startswith("clerk config set") for f in found)
    listed = cli(home, "device", "list")
    assert listed.count("未配置") == 6 and "模拟" not in listed


# --- the validated settings as plain data (`clerk sync status`, every command's logging) ------


def test_checked_settings_are_the_validated_ones_and_kept_owner_only(tmp_path, monkeypatch):
    from clerk import configfile

    write(tmp_path, '[centre]\ncode = "330212105"\n[window]\nno = 4\n')
    first = configfile.checked(tmp_path)
    assert first == config.load(tmp_path).model_dump(mode="json")
    kept = tmp_path / configfile.CHECKED_FILE
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert configfile.checked(tmp_path) == first  # from the kept copy
    monkeypatch.setenv("CLERK_WINDOW__NO", "7")  # a variable changes what is valid
    assert configfile.checked(tmp_path)["window"]["no"] == 7


def test_a_changed_file_is_validated_again_before_it_is_used(tmp_path):
    from clerk import configfile

    write(tmp_path, '[centre]\ncode = "330212105"\n')
    configfile.checked(tmp_path)
    write(tmp_path, PRINTER_TYPO)
    with pytest.raises(config.ConfigError, match=r"printer\.ulr"):
        configfile.checked(tmp_path)
    with pytest.raises(config.ConfigError, match="语法错误"):
        write(tmp_path, "[centre\n")
        configfile.checked(tmp_path)


def test_a_damaged_or_foreign_kept_copy_is_never_believed(tmp_path):
    from clerk import configfile

    write(tmp_path, '[centre]\ncode = "330212105"\n')
    kept = tmp_path / configfile.CHECKED_FILE
    for damage in ("not json", "[]", json.dumps({"stamp": "other", "settings": {"log": 1}})):
        kept.write_text(damage, "utf-8")
        assert configfile.checked(tmp_path) == config.load(tmp_path).model_dump(mode="json")


def test_checking_creates_no_data_directory(tmp_path):
    from clerk import configfile

    assert not configfile.checked(tmp_path / "none")["centre"]["code"]
    assert not (tmp_path / "none").exists()


def test_settings_that_cannot_be_kept_are_still_used(tmp_path):
    """A read-only or full disk: the validated settings serve this command all the same."""
    from clerk import configfile

    write(tmp_path, '[centre]\ncode = "330212105"\n')
    (tmp_path / configfile.CHECKED_FILE).mkdir()  # neither readable nor replaceable as a file
    assert configfile.checked(tmp_path)["centre"]["code"] == "330212105"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
