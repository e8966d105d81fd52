"""The one place where survey data and scoring meet."""
