"""XLSForm import and export (the subset documented in ``docs/questionnaire.md``).

Standard XLSForm columns carry what ODK/Kobo tools understand; ``meihao_*`` columns and the
``meihao`` sheet carry what XLSForm has no place for (item kind, sub-dimension, reverse keying,
the dimension tree, scale metadata), so our own questionnaire round-trips exactly while the
file still converts with pyxform.
"""

from __future__ import annotations

from survey.formats.xlsform.reader import import_xlsform
from survey.formats.xlsform.writer import export_xlsform

__all__ = ["export_xlsform", "import_xlsform"]
