"""Training for dynplan-gym agents (synthetic planning data, SFT, RL with planning costs, PPO).

Arrives with the training issues; see DESIGN.md ("The parts").
"""
