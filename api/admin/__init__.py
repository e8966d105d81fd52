"""Administering a district: waves (open, close), residents' access (QR posters, invitation
slips) and, as the register and staff pages land, streets, communities, questionnaires and accounts.

Admin-only routes and the printable material they produce; the work itself is done by
``api.services`` (scoring) and ``survey.storage`` (records).
"""
