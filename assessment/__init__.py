"""The Skillsprint assessment engine: instruments, scoring, norms and the measurement model.

Reserved by the foundation; the engine itself is built by its own issue. Until then the
synthetic market stands in for it (see ``matching.synthetic.market.observe_passports``).
"""
