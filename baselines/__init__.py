"""Training for dynplan-gym agents (synthetic planning data, SFT, RL with planning costs, PPO).

See docs/architecture.md for where this layer sits, and docs/training.md.
"""
