"""The shared knowledge base, engine side.

Plain functions and classes the ``mcp.knowledge`` model builds on: text
normalisation and near-duplicate signatures (:mod:`.text`), masking of personal
identifiers (:mod:`.privacy`), the PostgreSQL full-text + trigram ranking
(:mod:`.search`), optional re-ranking by embeddings (:mod:`.embeddings`) and the
per-company Redis Stream of change events (:mod:`.events`).
"""
