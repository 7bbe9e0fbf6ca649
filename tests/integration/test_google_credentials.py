"""Both kinds of Google credentials work, each honouring the token_uri in its file."""

from __future__ import annotations

import json

import pytest

from syncd.adapters.google_auth import CredentialsFileError, load_credentials
from syncd.app import google_credentials
from syncd.config import Config, ConfigError
from tests.conftest import CALENDAR, when


@pytest.mark.parametrize("subject", ["", "ada@example.com"])
def test_service_account_with_or_without_delegation(
    google_sim, zoom_sim, make_app, config, tmp_path, subject
):
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(google_sim.service_account_info()))
    google = config.google.model_copy(
        update={"credentials_file": str(key_file), "subject": subject}
    )
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})

    assert make_app(config.model_copy(update={"google": google})).run_pass().ok

    assert len(zoom_sim.meetings()) == 1
    (grant,) = google_sim.token_grants
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert grant["sub"] == (subject or None)


def test_authorized_user_token_uri_is_honoured(google_sim, make_app):
    google_sim.put_event(CALENDAR, {"summary": "Standup #zoom", **when()})
    assert make_app().run_pass().ok
    assert google_sim.count("token") == 1
    assert google_sim.token_grants[0]["grant_type"] == "refresh_token"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "is not JSON"),
        ('{"type": "external_account"}', "type must be service_account or authorized_user"),
        ('{"type": "authorized_user", "client_id": "x"}', "missing or bad field"),
    ],
)
def test_unusable_credentials_file_is_a_config_error(config, tmp_path, content, problem):
    path = tmp_path / "google.json"
    path.write_text(content)
    with pytest.raises(CredentialsFileError, match=problem):
        load_credentials(path)
    with pytest.raises(CredentialsFileError, match="cannot read"):
        load_credentials(tmp_path / "absent.json")

    def credentials_file(name: str) -> Config:
        google = config.google.model_copy(update={"credentials_file": str(tmp_path / name)})
        return config.model_copy(update={"google": google})

    with pytest.raises(ConfigError, match=rf"^google\.credentials_file: .*{problem}"):
        google_credentials(credentials_file("google.json"))
    with pytest.raises(ConfigError, match=r"^google\.credentials_file: cannot read"):
        google_credentials(credentials_file("absent.json"))
