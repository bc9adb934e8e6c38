"""Channel connectors: each turns a channel into the hub's message model."""
