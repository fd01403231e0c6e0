"""The sans-IO core: bytes and messages in, messages and decisions out; no sockets, threads or UI.

See docs/ARCHITECTURE.md."""
