from clerk import config


def test_toml_file_then_environment(tmp_path, monkeypatch):
    settings = config.Settings(
        centre=config.CentreSettings(code="330212105", name="示范镇"),
        window=config.WindowSettings(no=3, kind="general"),
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
