"""Pure numerics for the 美好社区 index: numpy, scipy and scikit-learn only.

Nothing here imports the web, the database or the rest of meihao, so a researcher can use it on
a numpy array or a CSV without a server. The import rule is enforced by
``tests/scoring/test_import_rules.py``.
"""
