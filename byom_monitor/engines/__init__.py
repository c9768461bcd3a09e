"""Engines: pure numpy / pandas computations (profile, KLL sketch, drift distances, model metrics,
bias metrics, SHAP). No files, no AWS.
"""
