"""Files that go in and out of the survey store: XLSForm questionnaires (``xlsform``), paper
questionnaires typed in by grid workers (``paper``), the CSV/XLSX sheet reader they share
(``tabular``) and de-identified response exports read back for research (``research_files``).
"""
