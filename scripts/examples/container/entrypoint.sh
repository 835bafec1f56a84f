#!/bin/sh
# Container entrypoint: run the image's command with its mapped environment
# variables resolved from Vault by vaultshim.
#
#   ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
#   CMD ["gunicorn", "-w", "2", "--bind", "0.0.0.0:8000", "app:app"]
#
# The config comes from $VAULTSHIM_CONFIG (default /etc/vaultshim.conf), e.g. a
# mounted Kubernetes secret or ConfigMap; the token from the config's
# token_file or auth method (kubernetes, approle) — never from the image.
set -eu

: "${VAULTSHIM_CONFIG:=/etc/vaultshim.conf}"
export VAULTSHIM_CONFIG

if [ "$#" -eq 0 ]; then
	echo "entrypoint: no command given (set CMD or pass one to docker run)" >&2
	exit 64
fi

# exec (here and in vaultshim-exec): no shell stays in between, the program
# takes over this PID (PID 1 without --init), so `docker stop`'s SIGTERM
# reaches it and its exit status is the container's.
exec vaultshim-exec -- "$@"
