"""The inbox: received fax files in watched folders, indexed in SQLite.

``model`` has the records and events, ``config`` the ``[inbox]`` settings, ``tags`` reads what
a fax TIFF says about itself (its directories only, never the pixels), ``index`` keeps one row
per file, ``scan`` finds the files and brings rows up to date, ``actions`` archives and
exports, ``cli`` is ``faxtui inbox``; ``faxtui.sources.spool.InboxSource`` keeps it all
current while faxtui runs.
"""
