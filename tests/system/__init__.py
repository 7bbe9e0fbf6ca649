"""syncd as the administrator installs it, under a real systemd: the checkout's unit booted in
a systemd-nspawn container (CI's slow step)."""
