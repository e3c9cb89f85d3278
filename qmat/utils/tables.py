"""Markdown tables, as the tools print them and docs/ keeps them."""
from typing import Iterable, List, Sequence


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> List[str]:
    """The lines of a markdown table: the header, the rule, one line per row (cells as ``str``)."""
    return ['| ' + ' | '.join(header) + ' |', '|' + ' --- |' * len(header),
            *('| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows)]
