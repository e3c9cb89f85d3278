"""Experiments over qmat's models and metrics: the missing-annotation study and the paper's Table 1 (run
matrix, training runs, records, reports and plots). Nothing here is needed to train, test or hunt."""
from .methods import METHODS, ORACLES, PAPER_STATS_METHODS, STUDY_METHODS, TABLE1_METHODS, Method, in_matrix
from .study import Study, evaluate_run, prepare_data, run_study, train_file

__all__ = ['METHODS', 'ORACLES', 'PAPER_STATS_METHODS', 'STUDY_METHODS', 'TABLE1_METHODS', 'Method',
           'in_matrix', 'Study', 'evaluate_run', 'prepare_data', 'run_study', 'train_file']
