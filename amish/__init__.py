"""amish: the Asterisk Manager Interface shell."""

__version__ = "0.1.0.dev0"
