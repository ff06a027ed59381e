"""Training, experiments and the tools that measure them.

Training: synthetic planning data (`planning_data`), SFT (`sft`), DAgger (`dagger`), PPO with a
planning cost (`ppo_llm`), SB3 policies (`sb3_ppo`), picking a run (`select_run`), all sized by
`configs`. Experiments (`dynplan experiment NAME`, results in `experiments/`): `goldilocks`,
`steering`, `tech_tree`, `sample_efficiency`, sharing `sweep`. Tools: `diagnose`, `plan_probe`,
`plan_following`, `gpu_check`. See docs/architecture.md for where this layer sits, and
docs/training.md.
"""
