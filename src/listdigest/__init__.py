"""listdigest: turn a public-inbox mailing-list archive into a readable digest.

The pipeline, one package a stage: sources (read archives) → mail (parse one
message) → model (threads, series) → index (store) → stats → render → cli.
"""

__version__ = "0.1.0"
