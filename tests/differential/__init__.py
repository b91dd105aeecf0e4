"""Differential tests: Syllog against a naive oracle and against pyDatalog."""
