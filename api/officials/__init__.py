"""What officials read: the district dashboard, street pages, community scorecards and trend
reports, as HTML pages and as JSON, always from stored snapshots and always within the reader's
scope (``api.web.permissions``).

Routes live in ``*_routes.py``; ``render`` builds page contexts, ``views`` turns figures into
chart and display objects, ``text`` holds the pages' own words in zh and en.
"""
