import os
import sys

from grader.cli import main

code = main()
# Everything is written and flushed by now; skipping interpreter teardown (torch's included) saves time.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code or 0)
