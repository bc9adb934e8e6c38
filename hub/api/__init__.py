"""The HTTP and websocket API for agents, supervisors and admins (Litestar)."""
