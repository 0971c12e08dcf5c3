"""Helpers of `minigrad train` (see `minigrad.train`): data resolution, model/optimizer/
schedule builders, the inner loops, checkpoints, time-limit planning, progress and plots."""
