"""Synthetic labour market with a hidden ground-truth outcome model."""

from matching.synthetic.ground_truth import GroundTruth
from matching.synthetic.market import MarketConfig, SyntheticMarket, generate_market

__all__ = ["GroundTruth", "MarketConfig", "SyntheticMarket", "generate_market"]
