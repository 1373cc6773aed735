"""The alert fan-out benchmark's baseline: the floor of WebSocket fan-out in Python here. A
bare FastAPI app on the agent protocol's event path, with no authentication, database or
queue: each connection is accepted, held in a set and told "hello" (so the client knows it
is held); POST /fanout sends the request's body, as it is, to every connection, one after
another, and answers how many. Acks are read and dropped. Served by uvicorn with the same
settings as Loaxa:

    .venv/bin/python -m uvicorn benchmarks.alert_fanout_bare:app --port 8001
"""

from __future__ import annotations

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect

from stations.protocol import EVENTS_PATH

HELLO = '{"type": "hello"}'

app = FastAPI(title="bare fan-out baseline")
held: set[WebSocket] = set()


@app.get("/readyz")
async def ready() -> dict[str, int]:
    return {"connected": len(held)}


@app.websocket(EVENTS_PATH)
async def events(websocket: WebSocket) -> None:
    await websocket.accept()
    held.add(websocket)
    try:
        await websocket.send_text(HELLO)
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        held.discard(websocket)


@app.post("/fanout")
async def fanout(request: Request) -> dict[str, int]:
    text = (await request.body()).decode()
    sent = 0
    for websocket in list(held):
        try:
            await websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError):
            continue  # closing as we send
        sent += 1
    return {"sent": sent}
