"""Alt-text on a real local Ray (2 CPUs, loopback only) with the tiny BLIP-2, through Ray Data: a corpus
of every format comes out byte-identical to the single-process run's, with the same report; an actor
killed mid-batch and a driver stopped mid-run still end with every document written once.

One Ray for the module (starting one costs seconds on 2 cores); each run makes its own actor pool.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import scale_corpus
from doc_helpers import RED, png
from scale_corpus import DyingOnce, NotingBatches, build_corpus, copy, files, outcome

from assistant.documents.journal import DONE_NOTE, journal_for
from assistant.documents.ray_pipeline import RayRunner
from assistant.documents.ray_run import LOCAL, LOOPBACK, SINGLE_COMPUTER_ENV, EngineRecipe, start
from assistant.documents.results import RunReport
from assistant.documents.runner import Options, Runner

# Not imported here: the local Ray's loopback-only mode is set before Ray is first imported (ray_run).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("ray") is None, reason="needs Ray: pip install assistant[scale]"
    ),
]

HEAD_DEADLINE_S = 240  # a hang guard for `ray start` and the run that joins it, never a timing


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    start(LOCAL, num_cpus=2)  # before Ray is imported: start() keeps it to 127.0.0.1
    import ray

    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """One corpus, copied for each run: pypdf's PDFs differ from build to build (their /ID)."""
    return build_corpus(tmp_path_factory.mktemp("corpus") / "docs")


OPTIONS = dict(write=True, fix_suspicious=True, batch_size=2)


@pytest.fixture(scope="module")
def single(corpus, tiny_engine, tmp_path_factory) -> tuple[dict[str, bytes], RunReport]:
    """The single-process run: what every Ray run must match."""
    folder = tmp_path_factory.mktemp("single") / "docs"
    documents = copy(corpus, folder)
    report = Runner(tiny_engine, Options(**OPTIONS)).run(documents)
    assert not report.failed and sum(document.written for document in report.documents) == 6
    return files(folder), report


def recipe(tiny_model_dir: Path) -> EngineRecipe:
    return EngineRecipe(model=str(tiny_model_dir), device="cpu", precision="fp32")


def test_ray_data_writes_what_one_process_writes_even_with_an_actor_killed_mid_batch(
    local_ray, corpus, single, tiny_model_dir, tmp_path
) -> None:
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(scale_corpus)  # Ray's workers cannot import the tests
    expected_files, expected_report = single
    documents = copy(corpus, tmp_path / "docs")
    marker = tmp_path / "killed"
    dying = DyingOnce(model=str(tiny_model_dir), device="cpu", precision="fp32", marker=str(marker))
    # One actor: with no other to take its batches, the run finishes only if the killed one is restarted
    # and its batch sent to it again (a second actor cost an engine load, and proved nothing more).
    report = RayRunner(dying, Options(**OPTIONS), actors=1).run(documents)
    assert marker.exists()  # the actor was killed in its first batch, restarted, and its batch sent again
    assert outcome(report) == outcome(expected_report)
    assert files(tmp_path / "docs") == expected_files


def test_the_local_rays_workers_run_at_the_commands_own_priority(local_ray) -> None:
    """Ray's default puts its workers 15 steps nicer: then every busy program here starved the actors."""
    import ray

    @ray.remote
    def niceness() -> int:
        return os.nice(0)

    assert ray.get(niceness.remote(), timeout=HEAD_DEADLINE_S) == os.nice(0)


def test_each_call_of_the_actors_model_gets_a_whole_batch(local_ray, tiny_model_dir, tmp_path) -> None:
    """Documents of four pictures in batches of eight: every call of the model describes eight. A
    document's record was a row of its own, and Ray Data's batches count rows: 7 pictures and then 1
    (two batches show it as well as four)."""
    import ray.cloudpickle

    from assistant.bench.documents import make_corpus

    ray.cloudpickle.register_pickle_by_value(scale_corpus)
    (tmp_path / "docs").mkdir()
    make_corpus(tmp_path / "docs", 16, size=(40, 30))
    log = tmp_path / "batches"
    noting = NotingBatches(model=str(tiny_model_dir), device="cpu", precision="fp32", log=str(log))
    report = RayRunner(noting, Options(batch_size=8), actors=1).run([tmp_path / "docs"])
    assert not report.failed and report.described == 16
    assert log.read_text().split() == ["8"] * 2


def test_a_stopped_driver_run_again_finishes_the_rest_and_writes_nothing_twice(
    local_ray, corpus, single, tiny_model_dir, tmp_path
) -> None:
    expected_files, _ = single
    documents = copy(corpus, tmp_path / "docs")
    options = Options(**OPTIONS)

    def stop_after_two(images_done: int, images_total: int, documents_done: int, total: int) -> None:
        if documents_done >= 2:
            raise KeyboardInterrupt  # as Ctrl+C or SIGTERM in the driver

    journal = journal_for(options, "tiny", tmp_path / "cache")
    first = RayRunner(recipe(tiny_model_dir), options, stop_after_two, journal, actors=1).run(documents)
    assert first.interrupted
    written = {document.path for document in first.documents if document.written}
    assert len(written) == 2
    inodes = {path: path.stat().st_ino for path in written}  # a write renames a new file over
    # A stopped driver is a process that ended, and its actors went with it. Here the stopped run's
    # executor is left in reference cycles (its interrupt's traceback): until Python's collector finds
    # them its actor keeps both CPUs, and the run below waited for it (17 s of nothing).
    gc.collect()
    journal = journal_for(options, "tiny", tmp_path / "cache")
    second = RayRunner(recipe(tiny_model_dir), options, journal=journal, actors=1).run(documents)
    assert not second.interrupted and not second.failed
    assert {document.path for document in second.documents if document.notes == [DONE_NOTE]} == written
    assert {path: path.stat().st_ino for path in written} == inodes  # not written again
    assert files(tmp_path / "docs") == expected_files


def test_the_command_line_on_ray(local_ray, corpus, single, tiny_model_dir, tmp_path, capsys) -> None:
    import ray

    from assistant.cli import main

    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}  # loopback only
    expected_files, _ = single
    copy(corpus, tmp_path / "docs")
    model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
    code = main(["alt-text", str(tmp_path / "docs"), "--write", "--fix-suspicious", "--ray", *model])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert files(tmp_path / "docs") == expected_files
    code = main(["alt-text", str(tmp_path / "docs"), "--ray", "--model", str(tmp_path / "nothing")])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.strip().splitlines()) == 1, err


def test_a_run_on_a_local_ray_prints_none_of_rays_own_lines(tiny_model_dir, tmp_path) -> None:
    """`alt-text --ray` in a new process (its own local Ray, on 127.0.0.1 and free ports): the terminal
    shows the run's bar and report, not Ray's notice that it turned token authentication on (now asked
    for by name), its "Started a local Ray instance." nor Ray Data's warning of a reading pool bigger
    than the documents. One line of Ray's stays: its core worker's note that an actor restarted after
    its arguments were lost would fail to start (ray-project/ray#57733, printed for every Ray Data actor
    pool with restarts; Ray Data holds those arguments for the run), which no setting of Ray's turns off
    short of its C++ log level, which would hide its real errors too."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "red.png").write_bytes(png(RED, (40, 30)))
    (tmp_path / "docs" / "page.html").write_text('<p><img src="red.png"></p>')
    env = {key: value for key, value in os.environ.items() if key != "RAY_AUTH_MODE"}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "alt-text", str(tmp_path / "docs"), "--ray", *model],
        env=env,
        capture_output=True,
        timeout=HEAD_DEADLINE_S,
        check=False,
    )
    err = run.stderr.decode(errors="replace")
    assert run.returncode == 0, err[-3000:]
    assert "would write" in run.stdout.decode()
    assert "Token authentication" not in err
    assert "Started a local Ray instance" not in err
    assert "Warning" not in err and "WARNING" not in err, err


# `ray start` refuses a second node in the single-computer mode that keeps Ray to 127.0.0.1, and
# without that mode turns `--address 127.0.0.1:PORT` into the network's address. A worker node on
# this computer's loopback is therefore started with that one translation turned off; every address it
# gives itself is the --node-ip-address, 127.0.0.1 (the test checks what each Ray process listens on).
WORKER_NODE = (
    "import sys, ray._private.services as services; services.resolve_ip_for_localhost = lambda host: host; "
    "from ray.scripts.scripts import main; sys.argv[0] = 'ray'; sys.exit(main())"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def listening_addresses(processes: list[subprocess.Popen[bytes]]) -> set[str]:
    """The addresses every process of these `ray start`s listens on (TCP)."""
    import psutil

    found: set[str] = set()
    for process in processes:
        parent = psutil.Process(process.pid)
        for each in [parent, *parent.children(recursive=True)]:
            try:
                connections = each.net_connections(kind="tcp")
            except psutil.NoSuchProcess:
                continue
            found |= {c.laddr.ip for c in connections if c.status == psutil.CONN_LISTEN}
    return found


def test_a_head_and_a_worker_node_started_by_ray_start(corpus, single, tiny_model_dir, tmp_path) -> None:
    """A head and a worker node started by `ray start` on 127.0.0.1 (with their own token and temp
    folder), one CPU each, joined by the command line in another process with two actors, so one
    describes on each node: the same files as the single process's. Both nodes stop, however it ends."""
    expected_files, _ = single
    copy(corpus, tmp_path / "docs")
    token = secrets.token_hex(32)
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token, SINGLE_COMPUTER_ENV: "0"}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    # A node told to stop (SIGTERM) first asks to be drained and waits up to 30 s for it (Ray 2.5x,
    # for Serve's replicas); these run nothing by then, and the test waited out those 30 s.
    env["RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S"] = "0"
    # This cluster's administrator's choice, as the app's own local Ray makes it: workers at the nodes'
    # priority, not Ray's 15 steps nicer, which let the suite's other tests starve them (over 240 s).
    env["RAY_worker_niceness"] = "0"
    port = free_port()
    ray_command = Path(sys.executable).with_name("ray")
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's sockets live under it
    nodes: list[subprocess.Popen[bytes]] = []
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    try:
        head = ["start", "--head", "--block", "--node-ip-address", LOOPBACK, "--port", str(port)]
        head += ["--num-cpus", "1", "--include-dashboard", "false", "--temp-dir", str(temp)]
        nodes.append(subprocess.Popen([str(ray_command), *head], env=env, **quiet))
        deadline = time.monotonic() + HEAD_DEADLINE_S
        while True:  # the head's GCS takes seconds to listen
            try:
                socket.create_connection((LOOPBACK, port), timeout=1).close()
                break
            except OSError:
                assert nodes[0].poll() is None and time.monotonic() < deadline, "the head did not start"
                time.sleep(0.25)
        worker = ["start", "--block", "--address", f"{LOOPBACK}:{port}", "--node-ip-address", LOOPBACK]
        worker_env = {**env, SINGLE_COMPUTER_ENV: "1"}
        nodes.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER_NODE, *worker, "--num-cpus", "1"], env=worker_env, **quiet
            )
        )
        model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
        options = ["--write", "--fix-suspicious", "--ray", f"{LOOPBACK}:{port}", "--concurrency", "2", *model]
        run = subprocess.run(
            [sys.executable, "-m", "assistant", "alt-text", str(tmp_path / "docs"), *options],
            env=env,
            capture_output=True,
            timeout=HEAD_DEADLINE_S,
            check=False,
        )
        assert nodes[1].poll() is None, "the worker node stopped"
        assert listening_addresses(nodes) <= {LOOPBACK, "::ffff:127.0.0.1"}  # nothing on the network
        assert run.returncode == 0, run.stderr.decode(errors="replace")[-3000:]
        assert files(tmp_path / "docs") == expected_files
    finally:
        for node in reversed(nodes):  # --block: each stops its own processes, and only those
            node.terminate()
        for node in reversed(nodes):
            try:
                node.wait(60)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait()
        shutil.rmtree(temp, ignore_errors=True)
