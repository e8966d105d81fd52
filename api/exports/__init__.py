"""Downloads for officials and researchers: rankings and scorecards from stored snapshots
(CSV/XLSX) and de-identified response data (CSV/XLSX/SPSS) with its codebook.

``cells`` makes values safe for spreadsheets and writes the formats; ``results`` turns snapshots
into tables; ``responses`` builds de-identified rows; ``codebook`` and ``spss`` describe them.
Every table is a header plus an iterator of rows, so the CSV path streams in chunks.
"""
