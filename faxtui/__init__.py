"""faxtui: the console a sysadmin opens over SSH on a fax server."""

__version__ = "0.1.0"
