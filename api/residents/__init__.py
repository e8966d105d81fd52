"""The residents' questionnaire: a QR poster or invitation code → notice and age gate → one
page per section → thank-you, plus autosave and the JSON submission route for apps.

``entry`` identifies a visit (open link or invitation code), ``views`` and ``forms`` turn the
questionnaire into pages and posted pages back into answers; storage and validation are
``survey``'s (``survey.storage.responses``, ``survey.questionnaire``).
"""
