"""`dynplan play`: one agent plays one short DynPlanCrafter-v0 episode, shown as text.

`--agent random` (default) or `llm:never|always|every:K|dynamic` on any backend; `--plans FILE`
steers it with human-written plans.
"""

from __future__ import annotations

import argparse

from dynplan_cli.backend_args import add_backend_arguments, agent_from_args

DEFAULT_PLAN = "Collect wood from trees, place a table, then make a wood pickaxe."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", default="random", help="random or llm:<strategy>")
    parser.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    parser.add_argument("--steps", type=int, default=100, help="steps to play (default 100)")
    parser.add_argument(
        "--show-every", type=int, default=25, help="print the observation every N steps"
    )
    parser.add_argument(
        "--plan",
        default=DEFAULT_PLAN,
        help="for the random agent: a plan handed in at the first step ('' for none)",
    )
    parser.add_argument("--plans", default=None, help="a human plan file ('-': type plans)")
    parser.add_argument("--temperature", type=float, default=0.0)
    add_backend_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import gymnasium as gym

    import dynplan_gym
    from dynplan_gym.achievements import progression

    if args.steps < 1 or args.show_every < 1:
        raise SystemExit("--steps and --show-every must be >= 1")
    agent = agent_from_args(args, seed=args.seed)
    scripted_plan = args.plan if args.agent == "random" and not args.plans else ""
    env = gym.make(dynplan_gym.CRAFTER_ENV_ID)
    agent.reset(1)
    obs, info = env.reset(seed=args.seed)
    total_reward = task_return = 0.0
    invalid = generated = step = 0
    _show(step, obs)
    for step in range(1, args.steps + 1):
        decision = agent.act([obs], [info])[0]
        plan = decision.plan or (scripted_plan if step == 1 else "")
        obs, reward, terminated, truncated, info = env.step(
            {"action": decision.action, "plan": plan}
        )
        total_reward += reward
        task_return += info["task_reward"]
        invalid += not decision.valid
        generated += decision.completion_tokens
        name = env.unwrapped.action_names[decision.action]
        if args.agent != "random":
            print(
                f"step {step}: model wrote {decision.raw!r} -> {name}"
                f"{'' if decision.valid else ' (invalid)'}"
            )
        if plan:
            print(
                f"step {step}: new plan ({info['plan_tokens']} tokens, cost "
                f"{info['plan_cost']:.4f}): {plan}"
            )
        for achievement in info["unlocked"]:
            print(f"step {step}: {name} -> unlocked {achievement}")
        if step % args.show_every == 0 or terminated or truncated:
            _show(step, obs)
        if terminated or truncated:
            print(f"episode ended at step {step} ({'died' if terminated else 'time limit'})")
            break
    unlocked = sorted(k for k, v in info["achievements"].items() if v > 0)
    print(
        f"\n{args.agent}, seed {args.seed}, {step} steps, return {total_reward:.3f} "
        f"(task return {task_return:.3f} minus plan costs)"
    )
    print(f"achievements unlocked ({len(unlocked)}/22): {', '.join(unlocked) or 'none'}")
    print(
        f"progression: {100 * progression(info['achievements']):.1f}%  "
        f"plans: {info['num_plans']}  plan tokens: {info['total_plan_tokens']}  "
        f"invalid outputs: {invalid}/{step}  generated tokens: {generated}"
    )
    env.close()
    return 0


def _show(step: int, obs: dict) -> None:
    print(f"\n--- step {step} (plan age {obs['plan_age']}) ---")
    if obs["plan"]:
        print(f"Plan: {obs['plan']}")
    print(obs["text"])
    print()
