"""The shared evaluation protocol, metrics, result store and rendering.

Arrives with the evaluation issue; the metric definitions it will use already live in
`dynplan_gym.achievements`. See DESIGN.md ("Leaderboard").
"""
