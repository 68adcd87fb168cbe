"""The retraining family: strategic users (level-k or collectives) and a retrained platform."""
