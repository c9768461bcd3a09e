"""Continuous monitoring: data capture, model server, replay, schedules, alerts, dashboard."""
