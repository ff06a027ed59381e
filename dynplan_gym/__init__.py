"""dynplan-gym environments: Crafter and POGS with text observations and a plan-cost action space.

`import dynplan_gym` registers `DynPlanCrafter-v0`, `DynPlanPOGS-v0` and `DynPlanPOGS-Hard-v0`
with Gymnasium; it imports neither crafter nor torch until an environment is made.
"""

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

CRAFTER_ENV_ID = "DynPlanCrafter-v0"
POGS_ENV_ID = "DynPlanPOGS-v0"
POGS_HARD_ENV_ID = "DynPlanPOGS-Hard-v0"
# Which game each env plays: its achievements (`achievements.ACHIEVEMENT_SETS`), prompts, agents.
ENV_FAMILIES = {CRAFTER_ENV_ID: "crafter", POGS_ENV_ID: "pogs", POGS_HARD_ENV_ID: "pogs"}


def env_family(env_id: str) -> str:
    """`"crafter"` or `"pogs"`: the game `env_id` plays."""
    try:
        return ENV_FAMILIES[env_id]
    except KeyError:
        raise ValueError(f"unknown env {env_id!r}; expected one of {list(ENV_FAMILIES)}") from None


if CRAFTER_ENV_ID not in registry:
    register(
        id=CRAFTER_ENV_ID,
        entry_point="dynplan_gym.crafter_env:DynPlanCrafterEnv",
        # The env truncates at its own `length` (crafter's 10,000 steps by default).
        max_episode_steps=None,
        disable_env_checker=False,
    )

# The hard variant as gym-pogs's README sets HardPOGS-v0: a 2-hop view, 2 runs of backtracking
# (its registered defaults, a 3-hop view and 3 runs, admit no 20-node world: none in 2,000).
HARD_POGS = {"k_nearest": 2, "min_backtracks": 2}
for _env_id, _kwargs in ((POGS_ENV_ID, {}), (POGS_HARD_ENV_ID, HARD_POGS)):
    if _env_id not in registry:
        # The env truncates at its own `max_steps` (30 by default).
        register(
            id=_env_id,
            entry_point="dynplan_gym.pogs_env:DynPlanPOGSEnv",
            kwargs=_kwargs,
            max_episode_steps=None,
        )

__all__ = [
    "CRAFTER_ENV_ID",
    "ENV_FAMILIES",
    "POGS_ENV_ID",
    "POGS_HARD_ENV_ID",
    "__version__",
    "env_family",
]
