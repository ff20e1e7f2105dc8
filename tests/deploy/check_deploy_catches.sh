#!/usr/bin/env bash
# The deployment checks can fail: on a copy of the files, each mutation below (a root user, a
# shell-form entrypoint, a writable root filesystem, an unstable instance id, restarts after a
# bad config, state off the volume, an unknown key the schema should refuse) must make
# check_deploy.py exit 1 with the matching message.
#
# usage: check_deploy_catches.sh SOURCE ONCEFLOW_BIN WORK
set -euo pipefail
source=$1 onceflow=$2 work=$3
checker="$(dirname "${BASH_SOURCE[0]}")/check_deploy.py"

fresh_copy() {
  rm -rf "$work"
  mkdir -p "$work/examples"
  cp -r "$source/Dockerfile" "$source/.dockerignore" "$source/CMakeLists.txt" "$source/deploy" "$work/"
  cp -r "$source/examples/sidecar" "$work/examples/"
}

# expect_failure STEP FILE SED_SCRIPT MESSAGE
expect_failure() {
  local step=$1 file=$2 script=$3 message=$4 out
  fresh_copy
  sed -i -e "$script" "$work/$file"
  if out=$(python3 "$checker" --source "$work" --onceflow "$onceflow" --only "$step" 2>&1); then
    echo "FAIL: the $step check passed after '$script' on $file" >&2
    exit 1
  fi
  if [[ $out != *"$message"* ]]; then
    printf 'FAIL: after %s on %s, expected "%s" in:\n%s\n' "$script" "$file" "$message" "$out" >&2
    exit 1
  fi
  echo "caught: $file: $script"
}

fresh_copy
python3 "$checker" --source "$work" --onceflow "$onceflow"  # the copy itself passes

expect_failure docker Dockerfile 's/^USER 10001:10001/USER root/' "not a numeric non-root user"
expect_failure docker Dockerfile 's|^ENTRYPOINT .*|ENTRYPOINT /usr/bin/onceflow|' "shell form"
expect_failure docker Dockerfile 's|^VOLUME .*||' "/var/lib/onceflow is not a VOLUME"
expect_failure docker Dockerfile 's|^FROM debian:bookworm-slim|FROM debian:bookworm|' "not debian:bookworm-slim"
expect_failure kubernetes deploy/kubernetes/statefulset.yaml 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "not read-only"
expect_failure kubernetes deploy/kubernetes/statefulset.yaml 's/fieldPath: metadata.name/fieldPath: metadata.uid/' "not the pod name"
expect_failure kubernetes deploy/kubernetes/service.yaml 's/clusterIP: None/clusterIP: 10.0.0.1/' "not headless"
expect_failure kubernetes deploy/kubernetes/pipeline.yaml 's|dir: /var/lib/onceflow/state|dir: /data/state|' "is not on the StatefulSet's volume claim"
expect_failure kubernetes deploy/kubernetes/pipeline.yaml 's|mode: exactly_once_v2|mode: sometimes|' "onceflow validate"
expect_failure kubernetes deploy/kubernetes/pipeline.yaml 's|"0.0.0.0:9464"|"127.0.0.1:9464"|' "not reachable from outside"
expect_failure systemd deploy/systemd/onceflow@.service 's/^RestartPreventExitStatus=.*/RestartPreventExitStatus=2/' "restarts on exit 2 or 3"
expect_failure systemd deploy/systemd/onceflow@.service 's/^StateDirectory=.*//' "no StateDirectory"
expect_failure schema examples/sidecar/orders.yaml 's/^output:/outptu:/' "the schema refuses"
echo "every mutation was caught"
