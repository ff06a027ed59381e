"""The replay page at the scale of a long episode: its size, and how long Chromium takes to
open it and draw the first frame.

Crafter's agents here rarely live 2,000 steps (the expert's `crafter-balrog-dev` episodes last
157-568), so the long episode is the ten episodes of that protocol replayed and joined end to
end into one of 2,000 steps: real frames and texts, one column and one timeline, as a single
2,000-step episode would fill the page. `make test` runs the same at 60 steps, untimed.
"""

from __future__ import annotations

import time

from agents.expert import ExpertAgent
from leaderboard.evaluate import evaluate
from leaderboard.replay import Episode, render_page, replay_episode

LONG_STEPS = 2_000
PAGE_LIMIT_BYTES = 20e6  # the page of a 2,000-step episode stays under 20 MB
OPEN_LIMIT_S = 3.0  # and opens in under 3 s


def joined(episodes: list[Episode], steps: int) -> Episode:
    """The first `steps` steps of `episodes` played one after another, as one episode."""
    long = Episode(episodes[0].run, episodes[0].agent, episodes[0].protocol, "crafter", 0)
    for episode in episodes:
        long.steps += episode.steps
        long.frames += episode.frames[:-1]
    if len(long.steps) < steps:
        raise ValueError(f"the episodes hold {len(long.steps)} steps, fewer than {steps}")
    long.steps = [{**step, "step": i} for i, step in enumerate(long.steps[:steps])]
    long.frames = long.frames[: steps + 1]
    return long


def test_replay_page_of_a_long_episode(benchmark, measure, browser, tmp_path, request):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = request.config.getoption
    timed = options("benchmark_enable") or not options("benchmark_disable")
    protocol, steps = ("crafter-balrog-dev", LONG_STEPS) if timed else ("crafter-quick", 60)
    result = evaluate(ExpertAgent(), protocol, tmp_path / "run", num_envs=10, progress=False)
    episodes = [replay_episode(tmp_path / "run", e.seed) for e in result.episodes]
    page = tmp_path / "page.html"
    page.write_text(render_page([joined(episodes, steps)]))

    def open_page() -> None:
        browser.get("about:blank")
        browser.get(page.as_uri())
        WebDriverWait(browser, 30).until(
            lambda b: (
                b.find_element(By.ID, "last").text == str(steps - 1)
                and b.execute_script(
                    "const f = document.querySelector('img.frame');"
                    "return f.complete && f.naturalWidth > 0;"
                )
            )
        )

    started = time.perf_counter()
    benchmark.pedantic(open_page, rounds=3, iterations=1)
    opened = benchmark.stats.stats.median if benchmark.stats else time.perf_counter() - started
    size = page.stat().st_size
    measure(
        f"replay page, {steps} steps",
        f"{size / 1e6:.1f} MB ({size / steps / 1e3:.1f} KB a step), opens in {opened:.2f} s",
    )
    assert size < PAGE_LIMIT_BYTES * steps / LONG_STEPS
    if timed:  # `make test` opens the page once, untimed
        assert opened < OPEN_LIMIT_S
