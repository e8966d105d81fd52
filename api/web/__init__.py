"""The web plumbing every feature shares: who is calling (``auth``), what they may see
(``permissions``), CSRF, rate limits, request-size limits, the language of a page (``i18n``),
the Jinja2 environment (``templating``), sign-in routes and the health check.

Nothing here knows about scores or questionnaires; feature packages build on it.
"""
