"""Files written whole or not at all: a crash or an error mid-write never leaves half a file under the
real name, and whatever was there before stays until the new content is complete."""
import os
import os.path as osp
from contextlib import contextmanager
from typing import IO, Any, Iterable, Iterator, Optional

import mmengine

from .errors import UserInputError


@contextmanager
def atomic_open(path: str, newline: Optional[str] = None) -> Iterator[IO[str]]:
    """Write text to a temporary file beside ``path`` (named per process, so that two writers of one file
    never share it); it replaces ``path`` only when the block ends without an error."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    try:
        with open(tmp, 'w', encoding='utf-8', newline=newline) as f:
            yield f
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    os.replace(tmp, path)


def dump_json(content: Any, path: str, end_newline: bool = False, **kwargs) -> None:
    """``mmengine.dump`` of ``content`` as JSON to ``path``, atomically; ``kwargs`` go to ``json.dump``."""
    with atomic_open(path) as f:
        mmengine.dump(content, f, file_format='json', **kwargs)
        if end_newline:
            f.write('\n')


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path) as f:
        f.write(text)


def same_file(path: str, other: str) -> bool:
    """Whether two paths name one file: the same real path (through symlinks to files or folders and any
    spelling) or, when both exist, the same inode (hard links)."""
    if osp.realpath(path) == osp.realpath(other):
        return True
    return osp.exists(path) and osp.exists(other) and osp.samefile(path, other)


def refuse_overwriting(outputs: Iterable[str], inputs: Iterable[str]) -> None:
    """Stop before writing when any of ``outputs`` is one of ``inputs``.

    Raises:
        UserInputError: Naming the output and the input it would replace.
    """
    inputs = list(inputs)
    for output in outputs:
        for source in inputs:
            if same_file(output, source):
                raise UserInputError(f'{output} would overwrite the input {source}: write elsewhere')


def nan_to_none(value: Any) -> Any:
    """``value`` with every float NaN (in dicts, lists and tuples) replaced by None: JSON has no NaN, and
    browsers refuse the ``NaN`` that Python's json writes."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {key: nan_to_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [nan_to_none(item) for item in value]
    return value
