"""gunicorn logger whose access log lines are JSON objects (one per request)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

from gunicorn import glogging


class JsonAccessLogger(glogging.Logger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "level": "info",
            "msg": "request",
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or "",
            "protocol": atoms["H"],
            "status": int(atoms["s"]),
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 3),
            "user_agent": atoms["a"],
            "request_id": environ.get("HTTP_X_REQUEST_ID"),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(record, separators=(",", ":")))
