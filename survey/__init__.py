"""Questionnaires, response storage, validation, quality flags, synthetic data and file formats.

``survey`` knows nothing of the web (no fastapi/starlette) and nothing of :mod:`scoring`.
"""
