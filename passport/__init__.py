"""The skills language and the records that speak it.

``passport.taxonomy`` loads and validates the reference data, ``passport.models`` holds the
records (Passport, Vacancy, TrainingOffer, SkillProfile) with their JSON Schemas, and
``passport.population`` gives the array views the hot paths use. Imports nothing else of
the project.
"""
