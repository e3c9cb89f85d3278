from .errors import UserInputError, run_cli

__all__ = ['UserInputError', 'run_cli']
