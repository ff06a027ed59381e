"""Tests of `dynplan_gym`."""
