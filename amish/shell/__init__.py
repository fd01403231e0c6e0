"""The interactive shell: the full-screen split screen and the line mode."""
