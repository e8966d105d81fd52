"""What a paper import did, and the validation report a grid worker fixes the sheet from.

Every problem names the spreadsheet row (the header is row 1), the column and what is wrong, in
English and Chinese. The report is written as CSV for Excel (UTF-8 with BOM so the Chinese shows,
cells that Excel would run as formulas made inert: they may quote what the sheet held).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ImportReport", "ReportLine", "excel_safe"]

REPORT_COLUMNS = ("row", "column", "value", "problem", "problem_zh")
SHOWN_VALUE_CHARS = 60


def excel_safe(text: str) -> str:
    """``text`` that Excel shows as text: a leading = + - @ (or tab, CR) would start a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class ReportLine:
    row: int
    column: str
    value: str
    problem: str
    problem_zh: str = ""


@dataclass
class ImportReport:
    """Counts and problems of one import; ``imported`` counts rows actually committed."""

    file: str
    wave: str
    skip_invalid: bool = False
    dry_run: bool = False
    rows: int = 0  # data rows read (blank rows left out)
    blank_rows: int = 0
    new_rows: int = 0  # valid rows not stored before: imported unless errors stop the import
    duplicates: int = 0  # rows already stored with identical answers, or repeated in the file
    invalid_rows: int = 0
    imported: int = 0
    committed: bool = False
    problems_total: int = 0
    problems: list[ReportLine] = field(default_factory=list)
    max_problems: int = 100_000  # the list stops here; the counts go on
    elapsed_s: float = 0.0

    def add(self, line: ReportLine) -> None:
        self.problems_total += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(line)

    @property
    def stopped_by_errors(self) -> bool:
        """Nothing was imported because the file has problems (exit status 1 of the command)."""
        return self.problems_total > 0 and self.imported == 0

    def summary(self) -> str:
        lines = [
            f"{self.file} → wave {self.wave}: {self.rows} rows read"
            + (f" ({self.blank_rows} blank rows ignored)" if self.blank_rows else ""),
            f"  {self.duplicates} already stored with the same answers (not imported again)",
        ]
        if self.problems_total:
            lines.append(
                f"  {self.invalid_rows} rows with problems ({self.problems_total} problems)"
            )
        if self.dry_run:
            lines.append(f"  dry run: {self.new_rows} rows would be imported; nothing was written")
        elif self.committed:
            skipped = " (rows with problems skipped)" if self.invalid_rows else ""
            lines.append(f"  {self.imported} rows imported{skipped} in {self.elapsed_s:.1f} s")
        else:
            lines.append(
                "  nothing imported: fix the rows listed in the report and import the file "
                f"again, or use --skip-invalid to import the {self.new_rows} valid rows"
            )
        if len(self.problems) < self.problems_total:
            lines.append(f"  (the report lists the first {len(self.problems)} problems)")
        return "\n".join(lines)

    def write_csv(self, path: str | Path) -> None:
        with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(REPORT_COLUMNS)
            for line in self.problems:
                writer.writerow(
                    [
                        line.row,
                        excel_safe(line.column),
                        excel_safe(line.value[:SHOWN_VALUE_CHARS]),
                        excel_safe(line.problem),
                        excel_safe(line.problem_zh),
                    ]
                )
