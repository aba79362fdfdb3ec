"""Tokens and money (SPEC §3): usage per day, model and member, each chat's total, monthly
budgets and how amounts read (``usage.py``)."""
