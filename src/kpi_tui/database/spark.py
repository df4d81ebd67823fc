"""Starting Spark quietly: its JVM's log in the user cache dir, not on the terminal (Spark's
warnings on every run, a master that does not answer: 120 lines of Java stack traces where
kpi-tui says one line), and a `spark://` master that cannot be reached said at once (Spark
itself retries for a minute, then fails with "Cannot call methods on a stopped SparkContext")."""

from __future__ import annotations

import socket
from pathlib import Path

from kpi_tui import dirs
from kpi_tui.database.url import SourceError

CONNECT_TIMEOUT = 10.0  # s, per master


def log_path() -> Path:
    return dirs.cache_dir("spark.log")


def reachable(master: str, label: str) -> None:
    """SourceError (one line) unless one of a `spark://h1:7077,h2:7077` URL's masters accepts
    a connection."""
    reason = "no master in the URL"
    for hostport in master.removeprefix("spark://").split(","):
        host, _, port = hostport.strip().rpartition(":")
        if not host:
            host, port = hostport.strip(), "7077"
        try:
            with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT):
                return
        except (OSError, ValueError) as e:
            reason = _why(e)
    raise SourceError(f"{label}: cannot connect: {reason}")


def _why(e: Exception) -> str:
    if isinstance(e, socket.gaierror):
        return "unknown host"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused (is the Spark master running?)"
    if isinstance(e, TimeoutError | socket.timeout):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    return str(e).splitlines()[0] if str(e) else e.__class__.__name__


def start_jvm(options: dict[str, str]) -> None:
    """Start Spark's JVM (once per process) with the session's `options`, its output in
    `log_path()` (written anew by each process that starts one): not on the terminal, which is
    also where the monitor draws its screen."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:
        return
    dirs.cache_dir(create=True)
    with open(log_path(), "wb") as log:  # (the JVM keeps its own copy of the file)
        gateway = launch_gateway(SparkConf(loadDefaults=False).setAll(list(options.items())),
                                 popen_kwargs={"stdout": log, "stderr": log})
    SparkContext._ensure_initialized(gateway=gateway)
