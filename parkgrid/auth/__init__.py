"""Who is calling: bearer tokens and the principal they stand for."""
