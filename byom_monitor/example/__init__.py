"""The example's support code: the credit data and model, scenario orchestration, experiments,
report and notebook runner.
"""
