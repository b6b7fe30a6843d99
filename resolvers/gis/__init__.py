"""GIS outputs: vector tiles and OGC API - Features pages, each one statement."""
