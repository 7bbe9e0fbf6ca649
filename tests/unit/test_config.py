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

    from syncd.config import Config, DirectorySection

    text = (Path(__file__).parents[2] / "config.example.toml").read_text()
    raw = tomllib.loads(text)
    for name, section in Config.model_fields.items():
        assert set(raw[name]) == set(section.annotation.model_fields) - {"directory"}, name
    # [google.directory] is there commented out: it turns on the directory
    commented = text.split("# [google.directory]\n")[1].split("\n\n")[0]
    directory = tomllib.loads(commented.replace("# ", "", 1).replace("\n# ", "\n"))
    assert set(directory) == set(DirectorySection.model_fields)
    assert load_config(Path(__file__).parents[2] / "config.example.toml") == Config()


def test_a_directory_watches_its_users_and_the_calendars_named_besides(tmp_path):
    config = load_config(
        write(
            tmp_path, '[google]\nact_as = "owner"\n[google.directory]\nadmin = "it@example.com"\n'
        )
    )
    assert config.google.calendars == []
    assert config.google.directory is not None
    assert (config.google.directory.customer, config.google.directory.refresh_minutes) == (
        "my_customer",
        60,
    )
    named = load_config(
        write(
            tmp_path,
            '[google]\nact_as = "owner"\ncalendars = ["team@group.calendar.google.com"]\n'
            '[google.directory]\nadmin = "it@example.com"\n',
        )
    )
    assert named.google.calendars == ["team@group.calendar.google.com"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[google.directory]\nadmin = "it@example.com"\n',
            'google.act_as: must be "owner" with [google.directory]',
        ),
        ('[google]\nact_as = "owner"\n[google.directory]\n', "google.directory.admin: required"),
        (
            '[google]\nact_as = "owner"\n[google.directory]\nadmin = "a@b.c"\norg_unit = "Sales"\n',
            "google.directory.org_unit: Value error, expected a path from the top",
        ),
        ("[google]\ncalendars = []\n", "google.calendars: name at least one calendar"),
        ('[google]\nact_as = "boss"\n', "google.act_as: Input should be 'credentials' or 'owner'"),
    ],
)
def test_directory_mistakes_are_one_line_each(tmp_path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith(f"{path}: {problem}"), err.value.problems
