"""A throwaway PostgreSQL cluster for end-to-end tests, started and stopped by
the project's own scripts/lib/postgres.sh (the same cluster the unit tests
get from scripts/test): initdb in a temporary directory, loopback, a free port."""
import os
import shutil
import subprocess

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "lib", "postgres.sh")


def postgres_available():
    """(True, "") or (False, why): the server binaries are installed."""
    done = subprocess.run(["bash", SCRIPT, "available"], capture_output=True)
    if done.returncode == 0:
        return True, ""
    return False, "PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin; Debian package postgresql)"


class ThrowawayPostgres:
    """`with ThrowawayPostgres() as pg:` starts a cluster; pg.url names its
    database `kura`; leaving the block stops it and deletes its directory,
    also when the test fails. password=True: TCP logins need a generated
    password (pg.password), which pg.url carries."""

    def __init__(self, password=False):
        self.with_password = password

    def __enter__(self):
        env = {**os.environ, "KURA_PG_PASSWORD": "1" if self.with_password else "0"}
        done = subprocess.run(["bash", SCRIPT, "start"], capture_output=True, text=True, timeout=120, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"postgres.sh start failed:\n{done.stderr}")
        values = {}
        for line in done.stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            values[key] = value
        self.dir = values["KURA_PG_DIR"]
        self.url = values["KURA_TEST_POSTGRES_URL"]
        userinfo = self.url.split("://", 1)[1].split("@", 1)[0]
        self.password = userinfo.split(":", 1)[1] if ":" in userinfo else None
        return self

    def __exit__(self, *exc):
        subprocess.run(["bash", SCRIPT, "stop", self.dir], capture_output=True, timeout=60)

    def query(self, sql):
        """One value per line of `sql`'s result, through psql."""
        psql = shutil.which("psql") or "psql"
        done = subprocess.run([psql, self.url, "-XAtc", sql], capture_output=True, text=True, timeout=30, check=True)
        return done.stdout.split()
