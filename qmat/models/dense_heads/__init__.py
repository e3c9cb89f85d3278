from .brl_rpn_head import BRLRPNHead
from .positive_oracle_rpn_head import PositiveOracleRPNHead
from .sasl_rpn_head import SASLRPNHead

__all__ = ['BRLRPNHead', 'PositiveOracleRPNHead', 'SASLRPNHead']
