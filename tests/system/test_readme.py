"""README's "Installing for real", its shell commands run as they are written (without
`sudo`: the test is root) in a freshly booted container, against the simulators: step 4's
`syncd check` passes before the first start, and step 5 leaves syncd running."""

from __future__ import annotations

import re
import shlex

import pytest

from syncd.config import Config
from syncd.sim.google import GoogleCalendarSim
from syncd.sim.zoom import ZoomSim
from tests.system.container import Container, wait_for
from tests.system.installation import (
    CHECKOUT,
    CHECKOUT_INSIDE,
    SERVICE,
    config_text,
    last_pass,
    put_google_credentials,
    write_config,
    zoom_secrets,
)

README = CHECKOUT / "README.md"
NOT_RUN = {
    "python3 -m venv /opt/syncd": "the test's venv is bound there already",
    "/opt/syncd/bin/pip install": "a private network has no package index",
    "journalctl -u syncd -f": "follows the journal for ever",
}
PLACEHOLDERS = {
    "ACCOUNT_ID": "ZOOM_ACCOUNT_ID",
    "CLIENT_ID": "ZOOM_CLIENT_ID",
    "CLIENT_SECRET": "ZOOM_CLIENT_SECRET",
}
"""README step 2's quoted placeholders, and the secret each stands for."""


def step(number: int) -> str:
    """The text of a step of README's "Installing for real"."""
    section = re.search(
        r"^## Installing for real\n.*?(?=^## |\Z)", README.read_text(), re.MULTILINE | re.DOTALL
    )
    assert section, "README has no 'Installing for real'"
    found = re.search(
        rf"^### {number}\. .*?(?=^### |\Z)", section.group(0), re.MULTILINE | re.DOTALL
    )
    assert found, f"README has no step {number} under 'Installing for real'"
    return found.group(0)


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def commands(number: int) -> str:
    """A step's shell commands, as a script: `sudo ` dropped, NOT_RUN lines left out."""
    script = "\n".join(code_blocks(step(number), "sh"))
    assert script, f"README step {number} has no shell commands"
    lines = [line for line in script.splitlines() if not any(skip in line for skip in NOT_RUN)]
    return "\n".join(lines).replace("sudo ", "")


def run_step(container: Container, script: str) -> str:
    """Run a step's script in the container from the checkout (step 1 copies its
    config.example.toml, step 5 its systemd/syncd.service), stopping at the first error."""
    result = container.run("sh", "-ec", f"cd {CHECKOUT_INSIDE}\n{script}", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def with_secrets(script: str, zoom_sim: ZoomSim) -> str:
    secrets = zoom_secrets(zoom_sim)
    for placeholder, name in PLACEHOLDERS.items():
        quoted = f"'{placeholder}'"
        assert quoted in script, f"README step 2 no longer writes {quoted}"
        script = script.replace(quoted, shlex.quote(secrets[name]))
    return script


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_readmes_install_steps_end_with_check_passing_and_syncd_running(
    container: Container, config: Config, google_sim: GoogleCalendarSim, zoom_sim: ZoomSim
):
    run_step(container, commands(1))
    assert (
        container.path("/etc/syncd/config.toml").read_text()
        == (CHECKOUT / "config.example.toml").read_text()
    )

    run_step(container, with_secrets(commands(2), zoom_sim))
    put_google_credentials(container, config)  # step 3 says it in words

    text = config_text(config)
    readme_google = code_blocks(step(4), "toml")[0]
    credentials_line = next(line for line in readme_google.splitlines() if "credentials_" in line)
    assert credentials_line in text.splitlines()  # the config is step 4's, for the simulators
    write_config(container, text)
    checked = run_step(container, commands(4))
    assert checked.splitlines()[-1] == "ok", checked
    assert "will be created at /var/lib/syncd/syncd.db" in checked, checked

    run_step(container, commands(5))
    assert container.systemctl("is-enabled", SERVICE).stdout.strip() == "enabled"
    status = wait_for(
        "syncd, started by step 5, makes a pass",
        lambda: last_pass(container.show(SERVICE, "StatusText")["StatusText"]),
        seconds=30,
    )
    assert status.endswith(" 0 calendars failed"), status
    assert container.show(SERVICE, "ActiveState")["ActiveState"] == "active"
