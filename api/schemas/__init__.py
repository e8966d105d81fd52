"""Response models shared by JSON routes (and so by the OpenAPI document), one module per area."""
