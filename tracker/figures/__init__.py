"""The aggregation engine: verified reports become daily figures (DESIGN.md's seven rules)."""
