"""Tests of `leaderboard`."""
