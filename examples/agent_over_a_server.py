"""An LLM agent that talks to an OpenAI-compatible server, evaluated on the board's runner.

Starts `dynplan serve`'s server in this process (any vLLM or llama.cpp server works the same:
give its URL), then plays `llm:every:4` through the `openai` backend on crafter-quick.

Run: .venv/bin/python examples/agent_over_a_server.py [MODEL] [OUT_DIR]
"""

import sys

from agents.backends import make_backend
from agents.backends.openai_backend import OpenAIBackend
from agents.backends.server import CompletionServer
from agents.llm_agent import LLMAgent
from leaderboard.evaluate import evaluate

model = sys.argv[1] if len(sys.argv) > 1 else "smollm2-135m"  # embedded name or HF directory
out = sys.argv[2] if len(sys.argv) > 2 else None
server = CompletionServer(make_backend("transformers", model=model), "served", port=0).start()
try:
    agent = LLMAgent(OpenAIBackend(server.url, "served"), "every:4", temperature=1.0)
    result = evaluate(agent, "crafter-quick", out, name="served/every:4", progress=False)
finally:
    server.shutdown()
episodes = result.episodes
plans, invalid = sum(e.plans for e in episodes), sum(e.invalid_outputs for e in episodes)
steps = sum(e.length for e in episodes)
print(f"{len(episodes)} episodes, {plans} plans, {invalid} of {steps} answers invalid")
