from .hunter import FlakeHunter
from .measure import flake_measurements
from .tiling import in_core, tile_windows

__all__ = ['FlakeHunter', 'flake_measurements', 'in_core', 'tile_windows']
