#!/bin/sh
# An example handler that always fails (see agent/README.md, "Handlers"): it reads its
# input, prints a message on stderr and exits 3. The agent answers handler_failed with
# the last lines of stderr as the message. $FAIL_MESSAGE replaces the default message.
cat >/dev/null
echo "fail.sh: ${FAIL_MESSAGE:-this example handler refuses every request}" >&2
exit 3
