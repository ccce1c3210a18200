"""The baseline for intake throughput: Flask under the same gunicorn settings, only parsing the JSON."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/v1/sites/<site>/comments")
def accept(site: str) -> tuple[dict[str, str], int]:
    request.get_json()
    return {"id": "x", "status": "received"}, 202
