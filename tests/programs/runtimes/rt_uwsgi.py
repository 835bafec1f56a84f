# uWSGI (python3 plugin): os.environ of the embedded interpreter, run with
# --pyrun, after which uwsgi exits by itself. The runtime contract is in README.
import os
import subprocess
import sys

v = os.environ.get("RT_SECRET", "")
if not v:
    sys.stderr.write("rt: RT_SECRET missing\n")
    sys.stderr.flush()
    os._exit(3)
# uwsgi points sys.stdout at its log (fd 2): the value goes to fd 1 itself
os.write(1, (v + "\n").encode())
os._exit(0 if subprocess.run(["sleep", "1"]).returncode == 0 else 4)
