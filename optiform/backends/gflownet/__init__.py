"""The GFlowNet sampler of discrete models: environment, training, and the backend contract."""
