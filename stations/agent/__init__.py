"""The station agent (the Raspberry Pi runtime). It imports nothing of the server: only the
wire schema (stations/protocol.py), the standard library, pydantic, httpx and websockets."""
