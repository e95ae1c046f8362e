"""Evaluation beyond the two basic opponents: scripted styles, passive and random policies, the
drills from either side, noise and latency, an exploiter search, and the suite that plays them all
from both sides with confidence intervals (`suite.run_suite`)."""
