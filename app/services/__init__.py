"""Workflows that span several models."""
