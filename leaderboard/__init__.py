"""The shared evaluation protocol, metrics, result store and rendering.

The metric definitions live in `dynplan_gym.achievements`. See docs/architecture.md (the data
flow of an evaluation) and docs/evaluation.md.
"""
