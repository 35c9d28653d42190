"""The remedy catalog (options derived from the run, each replayed) and the recommendation."""
