"""Scoring one model against another, suite evaluations, and EMF as the judge."""
