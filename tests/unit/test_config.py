from pathlib import Path

import pytest

from syncd.config import ConfigError, load_config, resolve_zoom_credentials


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_example_config_is_valid_and_matches_the_defaults():
    example = load_config(Path(__file__).parents[2] / "config.example.toml")
    assert example.sync.tag == "#zoom"
    assert example.google.calendars == ["primary"]
    assert example.zoom.host == "me"


def test_every_problem_is_reported_with_file_and_key(tmp_path):
    path = write(
        tmp_path,
        '[sync]\ninterval_seconds = -1\ncolour = "red"\n[google]\nsend_updates = "nobody"\n',
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    problems = err.value.problems
    assert len(problems) == 3
    assert f"{path}: sync.interval_seconds: Input should be greater than 0 (got -1)" in problems
    assert f"{path}: sync.colour: unknown option" in problems
    assert any(p.startswith(f"{path}: google.send_updates:") for p in problems)


def test_bad_toml_and_missing_file_are_one_line_each(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[sync\n"))
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def test_zoom_secrets_come_from_credentials_directory_before_environment(tmp_path):
    (tmp_path / "ZOOM_CLIENT_SECRET").write_text("from-file\n")
    env = {
        "CREDENTIALS_DIRECTORY": str(tmp_path),
        "ZOOM_ACCOUNT_ID": "acc",
        "ZOOM_CLIENT_ID": "cid",
        "ZOOM_CLIENT_SECRET": "from-env",
    }
    creds = resolve_zoom_credentials(env)
    assert creds.client_secret.get_secret_value() == "from-file"
    assert "from-file" not in repr(creds)


def test_missing_secrets_are_named(tmp_path):
    with pytest.raises(ConfigError) as err:
        resolve_zoom_credentials({"ZOOM_ACCOUNT_ID": "acc"})
    assert [p.split(":")[0] for p in err.value.problems] == ["ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"]


def test_example_config_documents_every_option():
    import tomllib

    from syncd.config import Config

    raw = tomllib.loads((Path(__file__).parents[2] / "config.example.toml").read_text())
    for name, section in Config.model_fields.items():
        assert set(raw[name]) == set(section.annotation.model_fields), name
    assert load_config(Path(__file__).parents[2] / "config.example.toml") == Config()
