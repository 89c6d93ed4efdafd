"""The demo's learning history: months of a university at work (``history``), played (``steps``), written (``rows``)."""
