"""Small numerical helpers of the agent: transforms, returns, distributions and the replay buffer."""
