from .browse import browse, contact_sheet, draw_item, flake_visualizer

__all__ = ['browse', 'contact_sheet', 'draw_item', 'flake_visualizer']
