"""The HTTP predictor: its answers are validated and every call has an overall deadline."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from byom_monitor.clarify import ClarifyError, HttpPredictor

ROWS = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.25, 0.125]})


@pytest.fixture
def server():
    """A server answering ``server.answer`` (bytes), or dripping bytes while ``drip`` is set."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server naming)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            if state["drip"]:
                for _ in range(120):  # one byte every 0.5 s, for at most a minute
                    try:
                        self.wfile.write(b"0")
                        self.wfile.flush()
                    except OSError:
                        return  # the client hung up
                    if stop.wait(0.5):
                        return
                return
            self.wfile.write(state["answer"])

        def log_message(self, *args):
            pass

    state = {"answer": b"", "drip": False}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    yield state, f"http://127.0.0.1:{httpd.server_port}/invocations"
    stop.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("answer, expected", [
    (b"0.1\n0.2\n0.3\n", [0.1, 0.2, 0.3]),
    (b"[0.1, 0.2, 0.3]", [0.1, 0.2, 0.3]),
    (b'{"predictions": [{"score": 0.1}, {"score": 0.2}, {"score": 0.3}]}', [0.1, 0.2, 0.3]),
])
def test_answers_that_are_one_probability_per_row(server, answer, expected):
    state, url = server
    state["answer"] = answer
    assert HttpPredictor(url).predict(ROWS).tolist() == expected


@pytest.mark.parametrize("answer, reason", [
    (b"good\nbad\nugly\n", "answered text that is not CSV numbers: 'good"),
    (b"[0.1, 0.2,", "answered invalid JSON"),
    (b'{"result": 1}', "answered JSON without a list of scores"),
    (b"0.9,0.1\n0.8,0.2\n0.7,0.3\n", "returned 2 values per row"),
    (b"0.1\nnan\n0.3\n", "1 non-finite score(s) (e.g. nan)"),
    (b"0.1\n1.5\n0.3\n", "score(s) outside [0, 1] (e.g. 1.5)"),
    (b"0.1\n0.2\n", "returned 2 scores for 3 rows"),
])
def test_bad_answers_are_named_input_errors(server, answer, reason):
    state, url = server
    state["answer"] = answer
    with pytest.raises(ClarifyError) as failure:
        HttpPredictor(url).predict(ROWS)
    assert url in str(failure.value) and reason in str(failure.value)
    assert "np." not in str(failure.value)


def test_a_server_dripping_bytes_is_cut_at_the_timeout(server):
    state, url = server
    state["drip"] = True
    started = time.monotonic()
    with pytest.raises(ClarifyError, match="did not answer within 1.0 s"):
        HttpPredictor(url, timeout=1.0).predict(ROWS)
    # each byte arrives well within the socket timeout; only an overall deadline stops it
    assert time.monotonic() - started < 20


def test_the_job_has_an_overall_deadline_for_its_calls(server):
    state, url = server
    state["answer"] = b"0.5\n" * 1000
    many = pd.DataFrame({"a": np.arange(5000)})  # five requests of 1000 rows
    predictor = HttpPredictor(url, timeout=30, job_timeout=0.0)
    with pytest.raises(ClarifyError, match="the job's calls to it took longer than 0.0 s in all"):
        predictor.predict(many)
    assert HttpPredictor(url, timeout=30, job_timeout=60).predict(many).shape == (5000,)
