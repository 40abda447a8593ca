"""Conformance suite (see the conformance issue); not built yet."""
