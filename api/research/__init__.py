"""What researchers use: the HTTP client for notebooks (``client.MeihaoClient``), the data
routes beside the exports, and the weight-model lifecycle routes (publish, retire, default).

The lifecycle itself lives in ``api.services.model_registry``; these modules only speak HTTP.
"""
