"""sitegen: a static site generator for Chinese health-news sites."""

__version__ = "0.1.0"
