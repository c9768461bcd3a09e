"""A read-only web dashboard over the monitoring store (``byom-monitor dashboard``): schedules,
executions, their results against the baselines, alerts, the endpoint's operational metrics and
the example's scenario runs. Standard library server, charts as inline SVG, no JavaScript."""
