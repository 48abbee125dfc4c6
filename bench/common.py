"""What every benchmark needs: a PostgreSQL database to work in, peak RSS, the load."""
from __future__ import annotations

import os
import resource


def pg_database(url: str) -> bool:
    """Create the URL's database if missing; False when the server cannot be reached (the
    PostgreSQL run is then skipped)."""
    import sqlalchemy as sa

    target = sa.make_url(url)
    try:
        engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                {"d": target.database}).first():
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - no server, no rights
        return False


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux's VmHWM belongs to the address space, which exec
    replaces; getrusage's ru_maxrss is kept across fork+exec, so a child started by a big
    parent (`python -m bench` after the in-process grid benchmark) would report the parent's."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())
