"""Sixteen threads create default contexts while inject() runs: each sees the stock roots or the
whole widened set, never half of it. Prints how many contexts were made, and how many widened."""

import json
import ssl
import threading

import corptls

stock = frozenset(ssl.create_default_context().get_ca_certs(binary_form=True))
start, stop = threading.Barrier(17), threading.Event()
seen: list[frozenset[bytes]] = []
errors: list[str] = []


def work() -> None:
    start.wait()
    while not stop.is_set() or len(seen) < 64:
        try:
            seen.append(frozenset(ssl.create_default_context().get_ca_certs(binary_form=True)))
        except BaseException as exc:
            errors.append(repr(exc))
            return


threads = [threading.Thread(target=work) for _ in range(16)]
for t in threads:
    t.start()
start.wait()
corptls.inject()
stop.set()
for t in threads:
    t.join()
assert not errors, errors
widened = {s for s in seen if s != stock}
# A widened context holds nothing up front (corptls's hashed directory is searched lazily).
assert widened == {frozenset()}, "a context saw a half-made trust set"
print(json.dumps({"contexts": len(seen), "widened": sum(1 for s in seen if s != stock)}))
