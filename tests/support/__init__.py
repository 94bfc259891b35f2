"""Helpers shared by the test layers (imported, unlike fixtures in conftest.py)."""
