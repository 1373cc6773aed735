"""The agent load benchmark's baseline: a bare FastAPI app on the same paths as the agent
protocol, with no database, no authentication and no middleware. GET answers a small JSON,
POST echoes the small JSON it gets. Served by uvicorn with the same settings as Loaxa:

    .venv/bin/python -m uvicorn benchmarks.agent_load_bare:app --port 8001
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from stations.protocol import HEARTBEAT_PATH, MANIFEST_PATH

app = FastAPI(title="bare baseline")


@app.get(MANIFEST_PATH)
async def manifest() -> dict[str, Any]:
    return {"station_id": 1, "version": 1}


@app.post(HEARTBEAT_PATH)
async def heartbeat(body: dict[str, Any]) -> dict[str, Any]:
    return body
