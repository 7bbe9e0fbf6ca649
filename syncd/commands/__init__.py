"""The command line: `syncd run`, `sync`, `status`, `check`, `retry`, `db` and `demo`."""
