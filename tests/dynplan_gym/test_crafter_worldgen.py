"""The fast world generation builds crafter's worlds exactly: every tile, every object, and the
world's random numbers left where crafter leaves them (so every later step is the same)."""

from __future__ import annotations

import crafter
import numpy as np
import pytest
from crafter import objects, worldgen

from dynplan_gym import crafter_worldgen


def _world(seed: int, area: tuple[int, int]):
    """A reset world holding only the player at the centre, as `crafter.Env.reset` leaves it."""
    world = crafter.Env(area=area)._world
    world.reset(seed=seed)
    player = objects.Player(world, (area[0] // 2, area[1] // 2))
    world.add(player)
    return world, player


def _state(world) -> tuple:
    objs = [(type(o).__name__, tuple(o.pos.tolist()), o.health) for o in world.objects]
    chunks = {  # crafter keeps a chunk's members in a set: compare them as one
        key: sorted(tuple(o.pos.tolist()) for o in members) for key, members in world.chunks.items()
    }
    rng = world.random.get_state()
    return world._mat_map.copy(), objs, chunks, (rng[1].tolist(), rng[2:])


@pytest.mark.parametrize(("seeds", "area"), [(range(200), (64, 64)), (range(500, 510), (48, 32))])
def test_the_worlds_are_crafters(seeds, area):
    for seed in seeds:
        ours, theirs = _world(seed, area), _world(seed, area)
        crafter_worldgen.generate_world(*ours)
        worldgen.generate_world(*theirs)
        (mine, my_objects, my_chunks, my_rng), (its, its_objects, its_chunks, its_rng) = (
            _state(ours[0]),
            _state(theirs[0]),
        )
        assert np.array_equal(mine, its), f"seed {seed}: {int((mine != its).sum())} tiles differ"
        assert my_objects == its_objects, f"seed {seed}"
        assert my_chunks == its_chunks and my_rng == its_rng, f"seed {seed}"


def test_every_kind_of_tile_and_object_occurs():
    """The comparison above covers every branch of crafter's rules (diamonds and lava too)."""
    kinds, creatures = set(), set()
    for seed in range(40):
        world, player = _world(seed, (64, 64))
        crafter_worldgen.generate_world(world, player)
        kinds |= {world._mat_names[i] for i in np.unique(world._mat_map)}
        creatures |= {type(o).__name__ for o in world.objects}
    assert {
        "grass",
        "sand",
        "water",
        "tree",
        "stone",
        "path",
        "coal",
        "iron",
        "diamond",
        "lava",
    } <= kinds
    assert creatures == {"Player", "Cow", "Zombie", "Skeleton"}
