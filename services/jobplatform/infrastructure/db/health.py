from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from jobplatform.application.ports import StoreUnavailable


def database_ready(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except (SQLAlchemyError, StoreUnavailable):
        return False
