"""`benchbot publish`: a static site of every model x device series across commits.

    ids        a series' stable id and file name, from its configuration (pure)
    history    the index's rows -> series of points, each with its verdict against the
               previous run of the series (benchbot.compare's rule), and A/B confirmations
    pages      the HTML shells (overview, series, run, compare) and the data files as JS
    publish    the I/O: reads the results index, writes only the files that changed,
               copies the charting library (plotly.js, with its licence) and the raw runs

The pages are static and load nothing from the network: data comes in as ``.js`` files
through <script> tags, so they open from ``file://`` as from any static host.
"""

from __future__ import annotations

from benchbot.report.site.ids import series_id, series_link, slower_links

__all__ = ["series_id", "series_link", "slower_links"]
