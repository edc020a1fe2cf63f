"""Fixtures shared by every test: users, projects built in temporary content roots,
and a real X emulator on loopback."""
