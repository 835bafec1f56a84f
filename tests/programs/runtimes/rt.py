# Python: os.environ (a copy of environ made at interpreter start).
# The runtime contract is in README.
import os
import subprocess
import sys

v = os.environ.get("RT_SECRET", "")
if not v:
    sys.stderr.write("rt: RT_SECRET missing\n")
    sys.exit(3)
sys.stdout.write(v + "\n")
sys.stdout.flush()
sys.exit(0 if subprocess.run(["sleep", "1"]).returncode == 0 else 4)
