"""Cleaning: countries to ISO codes, affiliations to institutions and sectors."""
