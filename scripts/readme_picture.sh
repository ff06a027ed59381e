#!/usr/bin/env bash
# The README's picture (docs/assets/replay.png): the shipped learned planner's first step on
# crafter-quick as `dynplan replay` shows it, screenshot by headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
DYNPLAN=$(realpath "${DYNPLAN:-.venv/bin/dynplan}")
picture="$PWD/docs/assets/replay.png"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # the page names the run as given: runs/learned-dynamic
$DYNPLAN eval --agent learned-dynamic --protocol crafter-quick --num-envs 4 --temperature 1.0 \
    --out runs/learned-dynamic --no-progress
$DYNPLAN replay runs/learned-dynamic --out page.html
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,720 \
    --screenshot="$picture" "file://$work/page.html" 2>/dev/null
echo "wrote docs/assets/replay.png"
