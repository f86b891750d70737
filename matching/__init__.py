"""From passports and vacancies to rankings and assignments."""

from matching._rule_based import RuleBasedScorer

__all__ = ["RuleBasedScorer"]
