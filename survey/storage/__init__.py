"""Everything stored: tables (``models``), engines and sessions (``db``), Alembic migrations
(``migrate``, ``migrations/``), reference data (``registry``), the submit path (``responses``),
drafts, resident access (``access``: signed links and invitation codes), staff accounts
(``users``), the packed answer vector (``encoding``, ``batch_encoding``) and the wave → numpy
matrix loader (``matrix``).
"""
