"""Files shipped inside the SageMaker model package (see :mod:`byom_monitor.session.sagemaker_model`)."""
