"""Sebaya: anonymous peer-support intake chatbot for Indonesian schools."""

__version__ = "0.1.0"
