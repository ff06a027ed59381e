"""`dynplan play`: one agent plays one short DynPlanCrafter-v0 episode, shown as text.

`--agent random` (default) or `llm:never|always|every:K|dynamic` on any backend; `--plans FILE`
steers it with human-written plans. `--planner SPEC --actor SPEC` splits planning and acting
between two parties (a person, a plan file, the expert, an LLM, a shipped agent) who play the
PettingZoo planner/actor env (`dynplan_gym.multiagent`).
"""

from __future__ import annotations

import argparse

from agents.pair import ACTOR_SPECS, PLANNER_SPECS
from dynplan_cli.backend_args import add_backend_arguments, agent_from_args, backend_options

DEFAULT_PLAN = "Collect wood from trees, place a table, then make a wood pickaxe."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agent", default="random", help="any agent spec (random, expert, llm:STRATEGY, ...)"
    )
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
    parser.add_argument(
        "--planner",
        default=None,
        help=f"play as a planner/actor pair; the planner: {PLANNER_SPECS} (default none)",
    )
    parser.add_argument("--actor", default=None, help=f"the pair's actor: {ACTOR_SPECS}")
    parser.add_argument("--temperature", type=float, default=0.0)
    add_backend_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import gymnasium as gym

    import dynplan_gym
    from dynplan_gym.achievements import progression

    if args.steps < 1 or args.show_every < 1:
        raise SystemExit("dynplan play: --steps and --show-every must be >= 1")
    if args.planner or args.actor:
        return play_pair(args)
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


def play_pair(args: argparse.Namespace) -> int:
    """A planner and an actor take turns in the PettingZoo planner/actor env."""
    from agents.pair import make_actor, make_planner, pair_name
    from dynplan_gym import multiagent
    from dynplan_gym.achievements import progression

    if not args.actor:
        raise SystemExit(f"dynplan play: --planner needs --actor ({ACTOR_SPECS})")
    if args.agent != "random" or args.plans:
        raise SystemExit("dynplan play: give --agent/--plans or --planner/--actor, not both")
    options = {
        "backend_options": backend_options(args),
        "temperature": args.temperature,
        "seed": args.seed,
    }
    planner_spec = args.planner or "none"
    try:
        planner = make_planner(planner_spec, **options)
        actor = make_actor(args.actor, **options)
    except (ValueError, FileNotFoundError) as err:
        raise SystemExit(f"dynplan play: {err}") from None
    label = pair_name(planner_spec, args.actor)
    human = {"planner": planner_spec == "human", "actor": args.actor == "human"}
    env = multiagent.env()
    env.reset(seed=args.seed)
    planner.reset(1)
    actor.reset(1)
    step, task_return, returns, invalid = 0, 0.0, {"planner": 0.0, "actor": 0.0}, 0
    last_info = env.infos["actor"]
    _show(0, env.observe("planner"))
    for name in env.agent_iter():
        obs, reward, terminated, truncated, info = env.last()
        returns[name] += reward
        if terminated or truncated:
            env.step(None)
            continue
        if step >= args.steps:
            break
        info = {**info, "slot": 0}
        if name == "planner":
            if human["planner"] and step % 10 == 0 and step:
                _show(step, obs)
            env.step(planner.act([obs], [info])[0].plan)
            continue
        if human["actor"] and not human["planner"]:
            _show(step, obs)
        decision = actor.act([obs], [info])[0]
        env.step(decision.action)
        step += 1
        info = last_info = env.infos["actor"]
        task_return += info["task_reward"]
        invalid += not decision.valid
        action_name = env.world.action_names[decision.action]
        if info["new_plan"]:
            print(
                f"step {step}: new plan ({info['plan_tokens']} tokens, cost "
                f"{info['plan_cost']:.4f}): {env.world.plan}"
            )
        for achievement in info["unlocked"]:
            print(f"step {step}: {action_name} -> unlocked {achievement}")
        if step % args.show_every == 0 and not human["actor"]:
            _show(step, env.observe("planner"))
    info = last_info
    achievements = info["achievements"]
    unlocked = sorted(k for k, v in achievements.items() if v > 0)
    print(
        f"\n{label}, seed {args.seed}, {step} steps, task return {task_return:.3f}; "
        f"planner's return {returns['planner']:.3f} (after plan costs)"
    )
    print(f"achievements unlocked ({len(unlocked)}/22): {', '.join(unlocked) or 'none'}")
    print(
        f"progression: {100 * progression(achievements):.1f}%  plans: {info['num_plans']}  "
        f"plan tokens: {info['total_plan_tokens']}  invalid actor outputs: {invalid}/{step}"
    )
    env.close()
    return 0
