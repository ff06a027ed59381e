"""dynplan-gym environments: Crafter with text observations and a plan-cost action space.

`import dynplan_gym` registers `DynPlanCrafter-v0` with Gymnasium; it imports neither crafter
nor torch until an environment is made.
"""

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

CRAFTER_ENV_ID = "DynPlanCrafter-v0"

if CRAFTER_ENV_ID not in registry:
    register(
        id=CRAFTER_ENV_ID,
        entry_point="dynplan_gym.crafter_env:DynPlanCrafterEnv",
        # The env truncates at its own `length` (crafter's 10,000 steps by default).
        max_episode_steps=None,
        disable_env_checker=False,
    )

__all__ = ["CRAFTER_ENV_ID", "__version__"]
