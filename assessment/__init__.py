"""The Skillsprint assessment engine: instruments, scoring, norms and the measurement model.

One module per instrument (its event schema, scoring and response model); ``events`` and
``quality`` check what arrives; ``norms`` and ``measurement`` turn scale scores into
soft-skill levels with standard errors; ``skillsprint`` scores and simulates whole
batteries; ``session`` keeps a resumable session; ``report`` and ``dif`` serve analysts.
"""
