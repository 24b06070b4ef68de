#!/bin/sh
# An example handler for the agent (see agent/README.md, "Handlers"): one directory per
# resource, <root>/<tenant>/<resource_id>.
#
#   allocate    creates it and prints {"details":{"path":"…","url":"file://…"}}
#   update      writes the new spec to spec.json in it (the directory must exist)
#   deallocate  removes it (a missing directory is fine: deallocating twice is harmless)
#
# The root comes from --root DIR, else $FOLDER_ROOT. The request arrives as one JSON
# document on stdin; python3 (in every plain Debian) reads it, so this needs no jq.
set -eu

root="${FOLDER_ROOT:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --root) [ $# -ge 2 ] || { echo "mkdir.sh: --root needs a directory" >&2; exit 2; }
                root="$2"; shift 2 ;;
        --root=*) root="${1#--root=}"; shift ;;
        *) echo "mkdir.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ -n "$root" ] || { echo "mkdir.sh: no root: give --root DIR or set FOLDER_ROOT" >&2; exit 2; }

input=$(cat)

# Prints {"error": MESSAGE} on stdout (the agent shows it to the user) and exits 1.
refuse() {
    python3 -c 'import json, sys; print(json.dumps({"error": sys.argv[1]}))' "$1"
    exit 1
}

# operation, tenant and resource_id, one a line; python3 refuses what is not a string.
fields=$(printf '%s' "$input" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
for key in ("operation", "tenant", "resource_id"):
    value = doc.get(key)
    if not isinstance(value, str) or "\n" in value:
        sys.exit("mkdir.sh: `%s` is missing or not a one-line string" % key)
    print(value)
') || exit 2
{ read -r operation; read -r tenant; read -r id; } <<EOT
$fields
EOT

# Names become path components: nothing that climbs out of the root.
for name in "$tenant" "$id"; do
    case "$name" in
        ''|*/*|.|..|*..*) refuse "refusing the name '$name': it must not be empty or contain '/' or '..'" ;;
    esac
done

dir="$root/$tenant/$id"

details() {
    python3 -c '
import json, os, pathlib, sys
path = os.path.abspath(sys.argv[1])
print(json.dumps({"details": {"path": path, "url": pathlib.Path(path).as_uri()}}))
' "$dir"
}

case "$operation" in
    allocate)
        mkdir -p -- "$dir"
        details
        ;;
    update)
        [ -d "$dir" ] || refuse "no folder for resource $id"
        printf '%s' "$input" | python3 -c '
import json, sys
json.dump(json.load(sys.stdin)["spec"], open(sys.argv[1], "w"), sort_keys=True)
' "$dir/spec.json"
        details
        ;;
    deallocate)
        rm -rf -- "$dir"
        ;;
    *)
        refuse "unknown operation '$operation'"
        ;;
esac
