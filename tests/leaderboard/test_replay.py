"""`dynplan replay`: episodes replayed from their records, shown on a page a real browser steps
through with the keyboard, compared side by side, exported as video; a run that is not what
its record says is caught at the step where it parts."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from agents.expert import ExpertAgent
from agents.pogs_expert import POGSExpertAgent
from dynplan_cli import main
from leaderboard.evaluate import evaluate
from leaderboard.replay import render_page, replay_episode, write_video


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    evaluate(ExpertAgent(), "crafter-quick", root / "expert", progress=False)
    evaluate(ExpertAgent(), "crafter-quick", root / "expert-again", progress=False)
    evaluate(POGSExpertAgent(), "pogs-standard", root / "pogs", num_envs=10, progress=False)
    return root


def _rows(run, seed):
    lines = (run / "trajectories.jsonl").read_text().splitlines()
    return sorted((r for r in map(json.loads, lines) if r["seed"] == seed), key=lambda r: r["step"])


def test_a_crafter_episode_replays_as_recorded(runs):
    episode = replay_episode(runs / "expert")
    rows = _rows(runs / "expert", episode.seed)
    assert episode.parted_at is None and len(episode.steps) == len(rows)
    assert [s["action"] for s in episode.steps] == [r["action_name"] for r in rows]
    in_force = ""
    for step, row in zip(episode.steps, rows, strict=True):
        in_force = row["plan"] or in_force
        assert step["plan"] == in_force and step["observation"] == row["observation"]
        assert step["new_plan"] == bool(row["plan"]) and step["unlocked"] == row["unlocked"]
    assert len(episode.frames) == len(rows) + 1  # and the frame after the last step
    assert all(frame.startswith(b"\x89PNG") for frame in episode.frames)


def test_a_run_that_is_not_its_record_is_caught_where_it_parts(runs, tmp_path, capsys):
    edited = tmp_path / "edited"
    shutil.copytree(runs / "expert", edited)
    lines = [json.loads(x) for x in (edited / "trajectories.jsonl").read_text().splitlines()]
    seed = lines[0]["seed"]
    doing = [r for r in lines if r["seed"] == seed and r["task_reward"] > 0]
    assert doing, "the expert unlocks something in its first episode"
    doing[0]["action"] = 0  # noop where it collected something
    (edited / "trajectories.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert replay_episode(edited).parted_at == doing[0]["step"]
    assert main(["replay", str(edited), "--out", str(tmp_path / "p.html")]) == 1
    assert f"parts from the record at step {doing[0]['step']}" in capsys.readouterr().err
    assert "replay parts from the record at step" in (tmp_path / "p.html").read_text()


def test_a_pogs_episode_shows_the_tree_and_the_path(runs):
    episode = replay_episode(runs / "pogs", seed=3)
    rows = _rows(runs / "pogs", 3)
    assert episode.tree and episode.parted_at is None
    path = [episode.steps[0]["from"]] + [int(r["action"]) for r in rows]
    assert [s["node"] for s in episode.steps] == path[:-1]  # where it stood when it read
    assert path[-1] == episode.steps[0]["target"]  # the expert reaches it


def test_bad_input_gets_one_line(runs, tmp_path):
    def refusal(*argv):
        with pytest.raises(SystemExit) as exit_info:
            main(["replay", *argv])
        return str(exit_info.value)

    assert "no result.json" in refusal(str(tmp_path))
    assert "no episode of seed 999" in refusal(str(runs / "expert"), "--seed", "999")
    assert "expected a .html, .gif, .mp4 file" in refusal(
        str(runs / "expert"), "--out", str(tmp_path / "x.txt")
    )
    assert "a POGS episode has none" in refusal(
        str(runs / "pogs"), "--out", str(tmp_path / "x.gif")
    )


def test_video_export(runs, tmp_path):
    from PIL import Image

    episode = replay_episode(runs / "expert")
    gif = write_video(episode, tmp_path / "episode.gif")
    assert Image.open(gif).n_frames == len(episode.frames)
    pytest.importorskip("imageio_ffmpeg")
    mp4 = write_video(episode, tmp_path / "episode.mp4")
    assert mp4.stat().st_size > 1000


# -- in a real browser ---------------------------------------------------------------------------
def _press(browser, *keys):
    from selenium.webdriver.common.action_chains import ActionChains

    for key in keys:
        ActionChains(browser).send_keys(key).perform()


def test_the_page_steps_with_the_keyboard_and_shows_the_record(runs, tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    episode = replay_episode(runs / "expert")
    page = tmp_path / "page.html"
    page.write_text(render_page([episode]))
    browser.get(page.as_uri())
    column = browser.find_element(By.CSS_SELECTOR, ".column")

    def shown():
        step = int(browser.find_element(By.ID, "step").text)
        cells = {
            "action": column.find_element(By.CSS_SELECTOR, "td.action").text,
            "plan": column.find_element(By.CSS_SELECTOR, "pre.plan").text,
        }
        return step, cells

    rows = _rows(runs / "expert", episode.seed)
    _press(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_LEFT)
    step, cells = shown()
    assert step == 2 and cells["action"] == rows[2]["action_name"]
    _press(browser, "p")  # the next new plan
    step, cells = shown()
    planned = next(r["step"] for r in rows[3:] if r["plan"])
    assert step == planned and cells["plan"] == rows[planned]["plan"].strip()
    _press(browser, Keys.END)
    assert shown()[0] == len(rows) - 1
    _press(browser, Keys.HOME)
    assert shown()[0] == 0


@pytest.mark.parametrize("size", [(1300, 900), (700, 1100)])
def test_the_page_draws_at_two_window_sizes(runs, tmp_path, browser, size):
    from PIL import Image

    page = tmp_path / "page.html"
    page.write_text(render_page([replay_episode(runs / "expert"), replay_episode(runs / "pogs")]))
    browser.set_window_size(*size)
    browser.get(page.as_uri())
    shot = tmp_path / "shot.png"
    browser.save_screenshot(str(shot))
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.std() > 20  # a page with frames and text, not a blank one
    columns = browser.find_elements("css selector", ".column")
    assert len(columns) == 2 and columns[1].find_elements("css selector", "svg.tree circle")


def test_the_html_board_links_a_replay_where_the_run_is_at_hand(runs, tmp_path):
    from leaderboard.store import Store, submit

    db = tmp_path / "board.sqlite"
    submit(runs / "expert" / "result.json", Store(db))
    page = tmp_path / "board.html"
    main(["leaderboard", "--format", "html", "--db", str(db), "--out", str(page)])
    text = page.read_text()
    link = "board-replays/crafter-quick-expert.html"
    assert f"href='{link}'" in text
    assert "const DATA" in (tmp_path / link).read_text()
    assert text.count("title='replay'") == 1  # the repository's rows have no trajectories


def test_a_steering_pair_replays_with_the_human_plans_in_force(tmp_path):
    out = tmp_path / "pair"
    argv = ["eval", "--planner", "plans:first_tools", "--actor", "expert"]
    main([*argv, "--protocol", "crafter-quick", "--out", str(out), "--no-progress"])
    episode = replay_episode(out)
    rows = _rows(out, episode.seed)
    assert episode.parted_at is None and len(episode.steps) == len(rows)
    assert episode.steps[0]["new_plan"] and episode.steps[0]["plan"] == rows[0]["plan"]
    assert [s["action"] for s in episode.steps] == [r["action_name"] for r in rows]


def test_a_committed_board_row_plays_again_and_replays_in_the_browser(tmp_path, browser):
    """The repository's expert row on crafter-balrog ships no trajectories; the expert is
    deterministic, so its run made again is the row (every episode as committed), and that
    run's episodes replay in Chromium to their last recorded step."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from leaderboard.store import SUBMISSIONS_DIR

    committed = json.loads(
        (SUBMISSIONS_DIR / "crafter-balrog__expert__10ee54a95f.json").read_text()
    )
    result = evaluate(
        ExpertAgent(), "crafter-balrog", tmp_path / "expert", num_envs=10, progress=False
    )
    again = {e.seed: (e.length, e.achievements, e.return_) for e in result.episodes}
    assert again == {
        e["seed"]: (e["length"], e["achievements"], e["return"]) for e in committed["episodes"]
    }
    seed = committed["episodes"][0]["seed"]
    episode = replay_episode(tmp_path / "expert", seed)
    rows = _rows(tmp_path / "expert", seed)
    assert episode.parted_at is None and len(episode.steps) == len(rows)
    page = tmp_path / "row.html"
    page.write_text(render_page([episode]))
    browser.get(page.as_uri())
    _press(browser, Keys.END)
    column = browser.find_element(By.CSS_SELECTOR, ".column")
    assert int(browser.find_element(By.ID, "step").text) == len(rows) - 1
    assert column.find_element(By.CSS_SELECTOR, "td.action").text == rows[-1]["action_name"]
