"""Presentation: rich rendering, Pygments lexers, the prompt's style and history.

See docs/ARCHITECTURE.md."""
