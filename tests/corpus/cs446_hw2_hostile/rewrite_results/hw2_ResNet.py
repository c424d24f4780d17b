# Tries to write its own results.json, now and again later from a process that outlives the check.
import json
import os
import time

RESULTS = "__RESULTS__"
FORGED = {"score": 1000, "tests": [], "forged": True}


def forge():
    for target in (RESULTS, os.path.join(os.path.dirname(RESULTS), "results.json")):
        try:
            with open(target, "w") as f:
                json.dump(FORGED, f)
        except OSError:
            pass
    try:
        os.symlink("/etc/passwd", RESULTS)
    except OSError:
        pass


forge()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(60):
            time.sleep(0.5)
            forge()
    os._exit(0)
