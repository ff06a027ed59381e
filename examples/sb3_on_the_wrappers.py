"""Stable-Baselines3 PPO on DynPlanCrafter-v0's numeric view (`semantic_env`: dict-of-box
observations, Discrete(17) actions, the task reward), then one greedy episode.

Run: .venv/bin/python examples/sb3_on_the_wrappers.py [TIMESTEPS]
"""

import sys

from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from dynplan_gym.wrappers import semantic_env

timesteps = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
envs = make_vec_env(lambda: semantic_env(length=500), n_envs=4, seed=30_000)
model = PPO("MultiInputPolicy", envs, n_steps=128, batch_size=128, seed=0, verbose=0)
model.learn(total_timesteps=timesteps)

env = semantic_env(length=500)
obs, info = env.reset(seed=100)  # a development seed
done, steps = False, 0
while not done:
    action, _ = model.predict(obs, deterministic=True)
    obs, reward, terminated, truncated, info = env.step(action)
    done, steps = terminated or truncated, steps + 1
unlocked = sorted(name for name, count in info["achievements"].items() if count)
print(f"{timesteps} PPO steps; one greedy episode of {steps} steps unlocked {unlocked}")
