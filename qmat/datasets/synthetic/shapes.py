"""Flake outlines: cleaved polygons, ribbons, and thinner terraces inside them.

Exfoliated crystals break along lattice directions, so a flake is the intersection of half-planes whose
normals lie near multiples of 30 degrees (hexagonal graphene, hBN, MoS2) or of 90 degrees (orthorhombic
WTe2, which cleaves into long ribbons). A terrace is the part of a flake beyond one more cleave line: a
step to fewer layers. Real flakes are also torn: :func:`tear` joins more cleaved pieces to a flake, bites
cleaved pieces out of its edge (concave outlines), folds a piece over (twice the layers) and lets the
thickness run across it (a wedge, whose interference colours change across the flake).
"""
from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np

# A half-plane n . (x - c) <= d as (normal angle in radians, distance d from the flake centre c).
HalfPlane = Tuple[float, float]


# A convex piece of a torn flake: its offset from the flake centre and its outline half-planes.
Piece = Tuple[Tuple[float, float], List[HalfPlane]]


@dataclass
class FlakeShape:
    """A flake: centre, outline half-planes, and terraces (each a half-plane with its layer count).

    A torn flake also has ``pieces`` joined to it, ``bites`` taken out of it, ``folds`` (pieces of it with
    twice its layers), a thickness ``wedge`` (direction and layers per pixel) and a ``reach``: how far from
    the centre it may extend.
    """
    center: Tuple[float, float]
    outline: List[HalfPlane]
    layers: int
    terraces: List[Tuple[HalfPlane, int]] = field(default_factory=list)
    pieces: List[Piece] = field(default_factory=list)
    bites: List[Piece] = field(default_factory=list)
    folds: List[Piece] = field(default_factory=list)
    wedge: Tuple[float, float] = (0.0, 0.0)
    reach: float = 0.0

    def bbox(self, extent: float) -> Tuple[int, int, int, int]:
        extent = max(extent, self.reach)
        x, y = self.center
        return int(np.floor(x - extent)), int(np.floor(y - extent)), int(np.ceil(x + extent)), \
            int(np.ceil(y + extent))


def _cleave_angles(rng: np.random.Generator, count: int, step_deg: float) -> np.ndarray:
    """``count`` distinct normal directions on a lattice of ``step_deg``, slightly off (real cleaves)."""
    slots = int(round(360 / step_deg))
    chosen = rng.choice(slots, size=min(count, slots), replace=False)
    return np.deg2rad(chosen * step_deg) + rng.normal(0, np.deg2rad(1.0), size=len(chosen))


def hexagonal_flake(rng: np.random.Generator, center: Tuple[float, float], radius: float,
                    layers: int) -> FlakeShape:
    """A convex flake with 4-8 edges along multiples of 30 degrees (plus a random lattice rotation)."""
    rotation = rng.uniform(0, np.pi / 3)
    angles = _cleave_angles(rng, int(rng.integers(4, 9)), 30.0) + rotation
    # each cleave line at a random distance: irregular but straight-edged polygons
    distances = radius * rng.uniform(0.45, 1.0, size=len(angles))
    outline = list(zip(angles.tolist(), distances.tolist()))
    # close the polygon: the opposite directions bound it so that it never extends past ~radius
    for angle in np.arange(4) * (np.pi / 2) + rotation:
        outline.append((float(angle), float(radius)))
    return FlakeShape(center, outline, layers)


def ribbon_flake(rng: np.random.Generator, center: Tuple[float, float], radius: float,
                 layers: int) -> FlakeShape:
    """A WTe2-like ribbon: long straight edges along one axis, aspect ratio 2.5-8, cleaved ends."""
    axis = rng.uniform(0, np.pi)
    half_length = radius
    half_width = radius / rng.uniform(2.5, 8.0)
    outline = [(axis, half_length), (axis + np.pi, half_length * rng.uniform(0.6, 1.0)),
               (axis + np.pi / 2, half_width), (axis - np.pi / 2, half_width * rng.uniform(0.7, 1.0))]
    for end in (axis, axis + np.pi):  # a slanted cleave at one or both ends
        if rng.random() < 0.5:
            slant = end + rng.choice([-1, 1]) * np.deg2rad(rng.choice([30.0, 45.0, 60.0]))
            outline.append((float(slant), half_length * rng.uniform(0.6, 0.95)))
    return FlakeShape(center, [(float(a), float(d)) for a, d in outline], layers)


def add_terraces(rng: np.random.Generator, shape: FlakeShape, radius: float, step_deg: float,
                 layer_choices: List[int]) -> None:
    """Add up to two thinner terraces: regions beyond a cleave line, with fewer layers than the body."""
    current = shape.layers
    offset = radius * rng.uniform(0.0, 0.5)
    for layers in layer_choices:
        if layers >= current:
            continue
        angle = float(_cleave_angles(rng, 1, step_deg)[0])
        # the terrace is the side beyond the line: n . (x - c) > offset
        shape.terraces.append(((angle, offset), layers))
        current = layers
        offset += radius * rng.uniform(0.15, 0.35)


def _piece(rng: np.random.Generator, radius: float, distance: float, step_deg: float) -> Piece:
    """A small cleaved polygon centred ``distance`` from the flake centre in a random direction."""
    direction = rng.uniform(0, 2 * np.pi)
    offset = (float(distance * np.cos(direction)), float(distance * np.sin(direction)))
    angles = _cleave_angles(rng, int(rng.integers(3, 7)), step_deg) + rng.uniform(0, np.deg2rad(step_deg))
    distances = radius * rng.uniform(0.5, 1.0, size=len(angles))
    outline = list(zip(angles.tolist(), distances.tolist()))
    outline += [(float(a), float(radius)) for a in np.arange(4) * (np.pi / 2) + direction]
    return offset, outline


def tear(rng: np.random.Generator, shape: FlakeShape, radius: float, step_deg: float,
         fold_prob: float, wedge_prob: float) -> None:
    """Make ``shape`` a torn flake: 0-2 joined pieces, 1-3 bites out of its edge, maybe a fold and a wedge.

    Pieces and bites are cleaved polygons too, so the outline stays straight-edged but becomes concave.
    """
    for _ in range(int(rng.integers(0, 3))):
        shape.pieces.append(_piece(rng, radius * rng.uniform(0.3, 0.7), radius * rng.uniform(0.5, 0.9),
                                   step_deg))
    for _ in range(int(rng.integers(1, 4))):
        shape.bites.append(_piece(rng, radius * rng.uniform(0.15, 0.45), radius * rng.uniform(0.7, 1.1),
                                  step_deg))
    if rng.random() < fold_prob:
        shape.folds.append(_piece(rng, radius * rng.uniform(0.2, 0.4), radius * rng.uniform(0.4, 0.8),
                                  step_deg))
    if rng.random() < wedge_prob and shape.layers > 1:
        # from the body's count at the centre to about half or twice it at the edge
        shape.wedge = (float(rng.uniform(0, 2 * np.pi)),
                       float(shape.layers * rng.uniform(-0.5, 1.0) / radius))
    shape.reach = 1.6 * radius


def _convex(outline: List[HalfPlane], dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    inside = np.ones(np.broadcast(dx, dy).shape, dtype=bool)
    for angle, distance in outline:
        inside &= np.cos(angle) * dx + np.sin(angle) * dy <= distance
    return inside


def rasterize(shape: FlakeShape, xs: np.ndarray, ys: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Inside mask and per-pixel layer count of ``shape`` on a pixel grid (pixel centres at +0.5).

    Args:
        shape: The flake.
        xs, ys: Broadcastable pixel-centre coordinates.

    Returns:
        (inside bool array, layers int array) of the broadcast shape.
    """
    dx, dy = xs - shape.center[0], ys - shape.center[1]
    inside = _convex(shape.outline, dx, dy)
    for (ox, oy), outline in shape.pieces:
        inside |= _convex(outline, dx - ox, dy - oy)
    for (ox, oy), outline in shape.bites:
        inside &= ~_convex(outline, dx - ox, dy - oy)
    angle, slope = shape.wedge
    if slope:
        body = shape.layers + slope * (np.cos(angle) * dx + np.sin(angle) * dy)
        body = np.clip(np.rint(body), 1, 4 * shape.layers)
    else:
        body = shape.layers
    layers = np.where(inside, body, 0).astype(np.int16)
    for (angle, distance), terrace_layers in shape.terraces:
        beyond = inside & (np.cos(angle) * dx + np.sin(angle) * dy > distance)
        layers[beyond] = terrace_layers
    for (ox, oy), outline in shape.folds:
        folded = inside & _convex(outline, dx - ox, dy - oy)
        layers[folded] *= 2
    return inside, layers
