"""Which negatives of SASL-RPN get a soft label, and how the attention that decides it is computed."""
from dataclasses import dataclass

from .soft_labels import NORMS

SCOPES = ('image', 'batch')
KEYS = ('anchors', 'instances')
KEY_POOLS = ('sampled', 'assigned')


@dataclass(frozen=True)
class SoftLabelRule:
    """Eq. 5's rule with every choice the paper leaves open (:class:`~qmat.models.SASLRPNHead` documents
    each; the defaults are the literal reading).

    Args:
        threshold: t in (0, 1]: a negative gets a soft label when its largest attention is >= t.
        norm: Eq. 5's Norm, one of :data:`NORMS`.
        temperature: tau > 0 of the attention softmax.
        scope: A negative attends to the keys of its ``'image'`` or of the whole ``'batch'``.
        keys: ``'anchors'`` (every key anchor) or ``'instances'`` (one prototype per annotated flake).
        key_pool: Key anchors are the ``'sampled'`` positives or every ``'assigned'`` one.
        background: Add the negatives' mean embedding as a background key.
    """
    threshold: float = 0.8
    norm: str = 'l2'
    temperature: float = 1.0
    scope: str = 'image'
    keys: str = 'anchors'
    key_pool: str = 'sampled'
    background: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.threshold, (int, float)) and 0 < self.threshold <= 1):
            raise ValueError(f'SASLRPNHead.threshold must be in (0, 1], got {self.threshold!r}')
        if not (isinstance(self.temperature, (int, float)) and self.temperature > 0):
            raise ValueError(f'SASLRPNHead.temperature must be > 0, got {self.temperature!r}')
        for name, choices in (('norm', NORMS), ('scope', SCOPES), ('keys', KEYS), ('key_pool', KEY_POOLS)):
            if getattr(self, name) not in choices:
                raise ValueError(f'SASLRPNHead.{name} must be one of {choices}, got {getattr(self, name)!r}')

    @property
    def name(self) -> str:
        return (f'keys={self.keys} background={"yes" if self.background else "no"} scope={self.scope} '
                f'tau={self.temperature:g}')
