"""Tests of `dynplan_cli`."""
