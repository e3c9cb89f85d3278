from .browse import browse, contact_sheet, draw_annotations

__all__ = ['browse', 'contact_sheet', 'draw_annotations']
