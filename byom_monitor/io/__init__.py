"""Formats and I/O: the service's JSON files, dataset readers, storage (folder or s3://),
config.ini.
"""
