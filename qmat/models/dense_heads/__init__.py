from .sasl_rpn_head import SASLRPNHead

__all__ = ['SASLRPNHead']
