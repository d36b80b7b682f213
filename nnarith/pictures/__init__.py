"""Pictures of a report: per-layer charts (plot), the network as a graph (diagram), a self-contained HTML page
(report). matplotlib and graphviz are imported only by the commands that draw with them."""
