"""The SageMaker session layer: the in-process SageMaker (local S3, control plane, jobs, model
serving) and the real one from config.ini.
"""
