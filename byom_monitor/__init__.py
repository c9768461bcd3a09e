"""byom-monitor: SageMaker Model Monitor and Clarify compatible monitoring for any model."""

__version__ = "0.1.0"
