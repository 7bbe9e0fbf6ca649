"""The daemon under systemd: passes on a timer, reload, the watchdog, metrics and logs."""
