"""How an AMI session travels: the one interface (base), TCP/TLS (connection), a recording (replay), the wire hooks.

See docs/ARCHITECTURE.md."""
