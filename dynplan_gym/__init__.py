"""dynplan-gym environments: Crafter and POGS with text observations and a plan-cost action space.

`import dynplan_gym` registers `DynPlanCrafter-v0`, `DynPlanPOGS-v0` and `DynPlanPOGS-Hard-v0`
with Gymnasium; it imports neither crafter nor torch until an environment is made.
"""

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

CRAFTER_ENV_ID = "DynPlanCrafter-v0"
POGS_ENV_ID = "DynPlanPOGS-v0"
POGS_HARD_ENV_ID = "DynPlanPOGS-Hard-v0"

if CRAFTER_ENV_ID not in registry:
    register(
        id=CRAFTER_ENV_ID,
        entry_point="dynplan_gym.crafter_env:DynPlanCrafterEnv",
        # The env truncates at its own `length` (crafter's 10,000 steps by default).
        max_episode_steps=None,
        disable_env_checker=False,
    )

for _env_id, _kwargs in ((POGS_ENV_ID, {}), (POGS_HARD_ENV_ID, {"min_backtracks": 3})):
    if _env_id not in registry:
        # The env truncates at its own `max_steps` (30 by default).
        register(
            id=_env_id,
            entry_point="dynplan_gym.pogs_env:DynPlanPOGSEnv",
            kwargs=_kwargs,
            max_episode_steps=None,
        )

__all__ = ["CRAFTER_ENV_ID", "POGS_ENV_ID", "POGS_HARD_ENV_ID", "__version__"]
