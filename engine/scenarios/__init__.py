"""Scenario tests (`*.tests.yaml` beside a contract): given events, expected actions, located failures."""
