# fastapi_app.py - a FastAPI service measured by pinch (docs/python-lib.md):
#   PYTHONPATH=build/python /usr/bin/python3.11 -m uvicorn --app-dir examples/python fastapi_app:app --port 8000
# then GET /items/3, /health, /metrics, /metrics.json.
from fastapi import FastAPI, HTTPException

import pinch
from pinch import metrics
from pinch.asgi import Middleware

app = FastAPI()
app.add_middleware(Middleware)        # times every request, mounts /health and /metrics

ITEMS = {i: {"id": i, "name": f"item-{i}"} for i in range(10)}


@app.get("/items/{item_id}")
async def get_item(item_id: int):
    async with pinch.measure("store_get"):
        item = ITEMS.get(item_id)
    if item is None:
        metrics.increment("items_missing_total")
        raise HTTPException(status_code=404, detail="no such item")
    return item


@app.post("/items")
@pinch.log_performance
def add_item(item: dict):
    with metrics.timer("store_insert_seconds"):
        i = len(ITEMS)
        ITEMS[i] = {"id": i, **item}
    metrics.set_gauge("items_stored", len(ITEMS))
    return ITEMS[i]
