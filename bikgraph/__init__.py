"""bikgraph: the BIK+ Policy Monitor as a validated, published knowledge graph."""

__version__ = "0.1.0"
