"""The Model Monitor analyzer: data-quality and model-quality baselines and checks,
container-compatible. The public functions are in :mod:`byom_monitor.analyzer.api` (and at the
package's top, ``byom_monitor``); this package loads nothing itself, so that
``python -m byom_monitor.analyzer`` can choose numpy's CPU kernels before numpy loads."""
