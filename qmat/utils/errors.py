"""Errors about what a user gave (a path, a config value, a data file, a checkpoint), reported in one line."""
import sys
from typing import Callable


class UserInputError(ValueError):
    """A problem in the user's input; its message names the file or key and says what is wrong."""


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint holds something other than tensors and allow-listed types."""


def run_cli(main: Callable[[], None]) -> None:
    """Run a command-line ``main`` and turn user errors into one line on stderr and exit status 2."""
    try:
        main()
    except (UserInputError, UnsafeCheckpointError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
