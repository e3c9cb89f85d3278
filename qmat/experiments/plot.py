"""The study's figure: bbox and segm AP against the missing fraction."""
import os
import os.path as osp
from typing import List

from .columns import GOAL_COLUMNS


def plot(summary: List[dict], path: str) -> None:
    """bbox and segm AP against the missing fraction, one line per method (error bars: std over seeds;
    dashed: a single seed), the legend beside the two panels."""
    import matplotlib  # here, not at the top: importing qmat must not set a user's matplotlib backend
    matplotlib.use('Agg')  # no display: the figure only goes to a file
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    methods = list(dict.fromkeys(row['method'] for row in summary))
    colours = plt.get_cmap('tab20').colors
    for axis, (task, key) in zip(axes, GOAL_COLUMNS):
        for i, method in enumerate(methods):
            rows = [r for r in summary if r['method'] == method and r['columns'][key]]
            if rows:
                single = all(r['columns'][key]['n'] < 2 for r in rows)
                axis.errorbar([100 * r['fraction'] for r in rows],
                              [100 * r['columns'][key]['mean'] for r in rows],
                              yerr=[100 * r['columns'][key]['std'] for r in rows], marker='o', capsize=3,
                              color=colours[i % len(colours)], linestyle='--' if single else '-',
                              label=method + (' (1 seed)' if single else ''))
        axis.set(title=f'{task} AP', xlabel='training annotations missing (%)', ylabel='AP (%)')
        axis.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc='center right', fontsize='small')
    figure.tight_layout(rect=(0, 0, 0.8, 1))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
