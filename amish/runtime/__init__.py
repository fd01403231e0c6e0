"""What a mode runs on: typed options, the config file, the session that opens a transport, output, history.

See docs/ARCHITECTURE.md."""
