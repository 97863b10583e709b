"""A clinic's stack on loopback: a throwaway PostgreSQL, N ``fibro serve --hosted``
processes and nginx in front of them, for the tests and for a person trying it.

``python deploy/stack.py --processes 2`` starts everything, prints the address and
waits for Ctrl-C; ``deploy/run-clinic.sh`` does the same.  Everything listens on
127.0.0.1 only and lives in temporary folders, removed when the stack stops.
A real clinic runs its own PostgreSQL and nginx (README: "Running it for a clinic").
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NGINX_SITE = HERE / "nginx-site.conf.template"
# The stack's own nginx.conf around the site: in the foreground, files in the stack's folder.
NGINX_MAIN = """daemon off;
{user}worker_processes 1;
pid {runtime}/nginx.pid;
error_log {runtime}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {runtime}/nginx-access.log;
    client_body_temp_path {runtime}/client-body;
    proxy_temp_path {runtime}/proxy;
    fastcgi_temp_path {runtime}/fastcgi;
    uwsgi_temp_path {runtime}/uwsgi;
    scgi_temp_path {runtime}/scgi;
    proxy_max_temp_file_size 0;
{site}
}}
"""


class NotAvailable(RuntimeError):
    """PostgreSQL or nginx is not installed (or cannot be started) here."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def postgres_bin(name: str) -> str | None:
    """Debian keeps the server's programs in /usr/lib/postgresql/<version>/bin, off the PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return found[-1] if found else shutil.which(name)


def _server_user() -> pwd.struct_passwd | None:
    """initdb refuses root: as root, run the server as ``postgres`` (Debian's) or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise NotAvailable("running as root and there is no 'postgres' or 'nobody' user for initdb")


def _reachable_by(account: pwd.struct_passwd | None, folder: Path) -> bool:
    """Whether ``account`` can pass through every folder down to ``folder`` (o+x or owned)."""
    if account is None:
        return True
    for part in [folder, *folder.parents]:
        info = part.stat()
        if not (info.st_mode & 0o001 or (info.st_uid == account.pw_uid and info.st_mode & 0o100)):
            return False
    return True


def _temporary_folder(account: pwd.struct_passwd | None, prefix: str) -> Path:
    """A new folder in the first temporary place the server's user can reach."""
    for parent in (tempfile.gettempdir(), "/var/tmp", "/dev/shm"):
        if Path(parent).is_dir() and _reachable_by(account, Path(parent)):
            return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    raise NotAvailable(f"no temporary folder that the user {account.pw_name} can reach")


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary folder on a loopback port, trusted, unsynced.

    Durability is switched off (``fsync=off``): it is for tests and trials only.
    """

    def __init__(self, folder: Path | None = None):
        self.initdb, self.pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise NotAvailable("PostgreSQL's initdb/pg_ctl are not installed "
                               "(Debian: apt-get install postgresql)")
        self.account = _server_user()
        self._made_folder = folder is None
        self.folder = Path(folder or _temporary_folder(self.account, "fibro-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = "fibro"

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        who = {} if self.account is None else {"user": self.account.pw_uid,
                                               "group": self.account.pw_gid}
        return subprocess.run(args, capture_output=True, text=True, cwd=self.folder, **who, **kwargs)

    def start(self) -> "ThrowawayPostgres":
        if self.account is not None:
            os.chown(self.folder, self.account.pw_uid, self.account.pw_gid)
        self.folder.chmod(0o700)
        made = self._run(self.initdb, "-D", str(self.data), "-U", self.user, "--auth=trust",
                         "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        if made.returncode:
            raise NotAvailable(f"initdb failed: {made.stderr.strip() or made.stdout.strip()}")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        started = self._run(self.pg_ctl, "-D", str(self.data), "-o", options,
                            "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")
        if started.returncode:
            log = (self.folder / "server.log")
            raise NotAvailable(f"PostgreSQL did not start: {started.stderr.strip()} "
                               f"{log.read_text()[-2000:] if log.exists() else ''}")
        return self

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        if self._made_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self, *statements: str) -> None:
        """Run statements (CREATE/DROP DATABASE) outside a transaction, as the superuser."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                             dbname="postgres", autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create_database(self, name: str) -> str:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> "ThrowawayPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def start_app(db_url: str, port: int, cookie_secret: str, log: Path,
              origin: str) -> subprocess.Popen:
    """One ``fibro serve --hosted`` process on 127.0.0.1:``port`` behind the proxy."""
    env = {**os.environ, "FIBRO_DB": db_url, "FIBRO_COOKIE_SECRET": cookie_secret}
    command = [sys.executable, "-m", "dashboard.cli", "serve", "--hosted", "--port", str(port),
               "--address", "127.0.0.1", "--use-xheaders", "--allow-websocket-origin", origin]
    return subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=HERE.parent)


def nginx_site(listen: str, app_ports: list[int], server_name: str = "localhost",
               access_log: str = "/var/log/nginx/fibro-access.log",
               error_log: str = "/var/log/nginx/fibro-error.log") -> str:
    """``deploy/nginx-site.conf.template`` filled in: where nginx listens, the app processes,
    the (token-masked) access log and the site's error log (critical errors only)."""
    upstreams = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"
                           for p in app_ports)
    text = NGINX_SITE.read_text()
    for key, value in {"UPSTREAMS": upstreams, "LISTEN": listen, "SERVER_NAME": server_name,
                       "ACCESS_LOG": access_log, "ERROR_LOG": error_log}.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def nginx_config(listen_port: int, app_ports: list[int], folder: Path,
                 account: pwd.struct_passwd | None = None) -> str:
    """The stack's whole nginx.conf: the site on 127.0.0.1:``listen_port``, files in ``folder``,
    workers as ``account`` when started as root."""
    import grp

    user = "" if account is None else (
        f"user {account.pw_name} {grp.getgrgid(account.pw_gid).gr_name};\n")
    return NGINX_MAIN.format(user=user, runtime=folder,
                             site=nginx_site(f"127.0.0.1:{listen_port}", app_ports,
                                             access_log=str(folder / "nginx-access.log"),
                                             error_log=str(folder / "nginx-error.log")))


def nginx_bin() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


class ClinicStack:
    """PostgreSQL + ``processes`` app processes + nginx, all on 127.0.0.1, in one folder."""

    def __init__(self, processes: int = 2, db_url: str | None = None, folder: Path | None = None):
        self.processes = processes
        self.account = _server_user()  # nginx's workers when started as root
        self.folder = Path(folder or _temporary_folder(self.account, "fibro-clinic-"))
        self._given_url = db_url
        self.postgres: ThrowawayPostgres | None = None
        self.apps: list[subprocess.Popen] = []
        self.app_ports: list[int] = []
        self.nginx: subprocess.Popen | None = None
        self.port = free_port()
        self.cookie_secret = os.environ.get("FIBRO_COOKIE_SECRET") or secrets.token_urlsafe(48)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ClinicStack":
        if nginx_bin() is None:
            raise NotAvailable("nginx is not installed (Debian: apt-get install nginx-light)")
        try:
            if self._given_url:
                self.db_url = self._given_url
            else:
                self.postgres = ThrowawayPostgres()  # its own folder: the server's user owns it
                self.postgres.start()
                self.db_url = self.postgres.create_database("clinic")
            from dashboard.store import Store

            Store(self.db_url).close()  # create the schema once, before the processes race to
            origin = f"127.0.0.1:{self.port}"
            for index in range(self.processes):
                port = free_port()
                self.app_ports.append(port)
                self.apps.append(start_app(self.db_url, port, self.cookie_secret,
                                           self.folder / f"app-{index + 1}.log", origin))
            for port, app in zip(self.app_ports, self.apps):
                wait_for_port(port, app, timeout=120)
            self.folder.chmod(0o711)  # nginx's workers (nobody, under root) reach their temp folders
            for log_name in ("nginx-access.log", "nginx-error.log"):  # owner-only from the start
                os.close(os.open(self.folder / log_name, os.O_CREAT | os.O_WRONLY, 0o600))
            conf = self.folder / "nginx.conf"
            conf.write_text(nginx_config(self.port, self.app_ports, self.folder, self.account))
            self.nginx = subprocess.Popen([nginx_bin(), "-c", str(conf), "-p", str(self.folder),
                                           "-e", str(self.folder / "nginx-error.log")],
                                          start_new_session=True, stdout=subprocess.DEVNULL,
                                          stderr=(self.folder / "nginx-stderr.log").open("ab"))
            wait_for_port(self.port, self.nginx)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in [self.nginx, *self.apps]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.nginx, *self.apps]:
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.postgres is not None:
            self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "ClinicStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="app processes behind nginx")
    parser.add_argument("--db", help="a PostgreSQL URL to use instead of a throwaway server")
    parser.add_argument("--demo-patients", type=int, default=0,
                        help="fill the store with a demo clinic of this many patients first")
    parser.add_argument("--demo-days", type=int, default=1095, help="days of each demo diary")
    args = parser.parse_args(argv)
    stack = ClinicStack(args.processes, db_url=args.db)
    try:
        stack.start()
    except NotAvailable as error:
        print(f"cannot start the stack: {error}", file=sys.stderr)
        return 1
    try:
        if args.demo_patients:
            subprocess.run([sys.executable, "-m", "dashboard.cli", "demo", "--db", stack.db_url,
                            "--patients", str(args.demo_patients), "--days", str(args.demo_days)],
                           check=True, cwd=HERE.parent)
        print(f"The clinic is at {stack.address} ({args.processes} app processes behind nginx; "
              f"store {stack.db_url}).")
        print(f"Add users with: FIBRO_DB={stack.db_url} fibro user add NAME --role therapist")
        print("Ctrl-C stops everything and deletes the throwaway data.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    for stop_signal in (signal.SIGINT, signal.SIGTERM):  # also when started in the background
        signal.signal(stop_signal, _interrupt)
    raise SystemExit(main())
