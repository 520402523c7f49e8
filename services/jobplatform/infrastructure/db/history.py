"""The retention sweep's repository, in the system scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from jobplatform.application import ports
from jobplatform.infrastructure.db import retention_sql


class SqlJobHistory(ports.JobHistory):
    def __init__(self, conn: Connection):
        self._c = conn

    def delete_finished(self, before: datetime, limit: int) -> int:
        params = {"before": before, "limit": limit}
        return int(self._c.execute(retention_sql.DELETE_FINISHED_BATCH, params).scalar_one())
