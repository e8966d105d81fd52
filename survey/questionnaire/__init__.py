"""The questionnaire as data: the pydantic definition and the shipped default (``model``), its
structural checks (``checks``), the skip-logic expression language (``expressions``,
``expression_syntax``), answer validation one response at a time (``validation``) or a whole
batch column by column (``batch_validation``), and the paged form (``paging``).

Nothing here touches the database or the web.
"""
