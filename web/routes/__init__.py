"""HTTP endpoints beside /graphql: files GIS tools open directly."""
