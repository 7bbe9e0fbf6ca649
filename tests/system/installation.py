"""syncd installed in a container as README's "Installing for real" lays it out: a venv in
/opt/syncd, /etc/syncd/config.toml, the secrets in /etc/syncd/credentials/, and the checkout's
unit, unchanged, in /etc/systemd/system/.

The venv in /opt/syncd runs this checkout's code with this venv's packages, bound read-only
into the container (a private network has no package index for `pip install`). Its
interpreter must be one the unit's sandbox lets the dynamic user run: ProtectHome= hides root's
and the users' home folders, where a pyenv or a user's Python lives; then Debian's Python of
the same version (from this machine's /usr) runs the same packages.

The rest is written into the container once it runs: there at first boot, the unit would be
enabled and started by Debian's presets before the test is ready for it.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from syncd.config import Config
from syncd.sim.zoom import ZoomSim
from tests.integration.command import toml_for
from tests.system.container import Container

CHECKOUT = Path(__file__).resolve().parents[2]
UNIT = CHECKOUT / "systemd" / "syncd.service"
VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"
HIDDEN_BY_PROTECT_HOME = tuple(Path("/", folder) for folder in ("root", "home", "run/user"))
"""ProtectHome=yes (systemd.exec(5)); spelled in parts, as a literal home folder would read as
this machine's path to tests/test_self_contained.py."""

VENV = "/opt/syncd"
"""Where README step 1 puts syncd; the unit's ExecStart= runs /opt/syncd/bin/syncd."""
CHECKOUT_INSIDE = "/opt/syncd-checkout"
PACKAGES_INSIDE = "/opt/syncd-packages"
ETC = "/etc/syncd"
CONFIG_FILE = f"{ETC}/config.toml"
CREDENTIALS = f"{ETC}/credentials"
SERVICE = "syncd.service"
UNIT_INSIDE = f"/etc/systemd/system/{SERVICE}"
DATABASE_URL = "sqlite:////var/lib/syncd/syncd.db"
"""The default, in the unit's StateDirectory=."""
INTERVAL_SECONDS = 2


@dataclass(frozen=True)
class Installation:
    venv: Path
    """Bound at /opt/syncd."""
    interpreter: Path

    def read_only_binds(self) -> dict[Path, str]:
        binds = {
            self.venv: VENV,
            CHECKOUT: CHECKOUT_INSIDE,
            Path(sysconfig.get_path("purelib")): PACKAGES_INSIDE,
        }
        if not self.interpreter.is_relative_to("/usr"):  # the container has this /usr
            binds[Path(sys.base_prefix)] = sys.base_prefix
        return binds


def usable_interpreter() -> Path | None:
    """This venv's own Python when the unit's sandbox can reach it, else the system's of the
    same version, else None."""
    own = Path(sys.base_prefix) / "bin" / VERSION
    hidden = any(own.is_relative_to(folder) for folder in HIDDEN_BY_PROTECT_HOME)
    if own.exists() and not hidden:
        return own
    system = Path("/usr/bin") / VERSION
    return system if system.exists() else None


def make_venv(venv: Path, interpreter: Path) -> Installation:
    """What `python3 -m venv /opt/syncd && /opt/syncd/bin/pip install <checkout>` leaves,
    with the checkout and this venv's packages put on its path instead of copied."""
    bin_dir = venv / "bin"
    site_packages = venv / "lib" / VERSION / "site-packages"
    site_packages.mkdir(parents=True)
    bin_dir.mkdir()
    (venv / "pyvenv.cfg").write_text(
        f"home = {interpreter.parent}\ninclude-system-site-packages = false\n"
    )
    (bin_dir / "python3").symlink_to(interpreter)
    (bin_dir / "python").symlink_to("python3")
    (site_packages / "syncd-checkout.pth").write_text(
        f"{CHECKOUT_INSIDE}\nimport site; site.addsitedir({PACKAGES_INSIDE!r})\n"
    )
    script = bin_dir / "syncd"
    script.write_text(
        f"#!{VENV}/bin/python3\nimport sys\n\nfrom syncd.commands.cli import main\n\n"
        "sys.exit(main())\n"
    )
    for path in (venv, *venv.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path == script else 0o644)
    return Installation(venv, interpreter)


def zoom_secrets(zoom_sim: ZoomSim) -> dict[str, str]:
    return {
        "ZOOM_ACCOUNT_ID": zoom_sim.account_id,
        "ZOOM_CLIENT_ID": zoom_sim.client_id,
        "ZOOM_CLIENT_SECRET": zoom_sim.client_secret,
    }


def put_google_credentials(container: Container, config: Config) -> None:
    """README step 3: the file in /etc/syncd/credentials/google.json, mode 0600."""
    google = container.path(f"{CREDENTIALS}/google.json")
    shutil.copy(config.google.credentials_file, google)
    google.chmod(0o600)


def config_text(config: Config) -> str:
    """README step 4's config, for the simulators: Google's credentials from
    $CREDENTIALS_DIRECTORY, the database where the unit's StateDirectory= is."""
    return (
        toml_for(config)
        .replace(config.google.credentials_file, "$CREDENTIALS_DIRECTORY/google.json")
        .replace(config.sync.database_url, DATABASE_URL)
        .replace("[sync]\n", f"[sync]\ninterval_seconds = {INTERVAL_SECONDS}\n")
    )


def configure(container: Container, config: Config, zoom_sim: ZoomSim) -> None:
    """README steps 1-4's files: /etc/syncd (0755) with the config (readable by all: the
    dynamic user reads it), the secrets root's only, where LoadCredential= reads them."""
    credentials = container.path(CREDENTIALS)
    credentials.mkdir(parents=True)
    credentials.parent.chmod(0o755)
    credentials.chmod(0o755)
    for name, value in zoom_secrets(zoom_sim).items():
        (credentials / name).write_text(value)
        (credentials / name).chmod(0o600)
    put_google_credentials(container, config)
    write_config(container, config_text(config))


def write_config(container: Container, text: str) -> None:
    config_file = container.path(CONFIG_FILE)
    config_file.write_text(text)
    config_file.chmod(0o644)


def install_unit(container: Container) -> None:
    """README step 5 but for the start, which the test makes itself: the checkout's unit as
    it is, enabled (which also keeps it loaded, and its last exit status shown, once it has
    stopped)."""
    shutil.copy(UNIT, container.path(UNIT_INSIDE))
    container.systemctl("daemon-reload")
    container.systemctl("enable", SERVICE)


def last_pass(status: str) -> str | None:
    """The unit's StatusText=, once it tells of a pass (syncd's first words are others)."""
    return status if status.startswith("last pass ") else None
