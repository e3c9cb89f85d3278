"""The flake-hunting application over :mod:`qmat.apis`: folders of micrographs in, per-image results,
overlays, CSV/JSON tables and an HTML report out (:mod:`.hunt_folder`, :mod:`.report`), and the repair of
annotation files from what a model finds (:mod:`.repair`)."""
from .hunt_folder import hunt_images, list_images, result_name, write_tables
from .repair import find_missing, score_against_removed
from .report import write_html_report

__all__ = ['hunt_images', 'list_images', 'result_name', 'write_tables', 'find_missing',
           'score_against_removed', 'write_html_report']
