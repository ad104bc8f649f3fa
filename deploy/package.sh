#!/usr/bin/env bash
# Package one Chalice stage for CloudFormation: OUTDIR/sam.json + the code zips + OUTDIR/member.json
# (the member StackSet template), then cfn-lint.
# Usage: deploy/package.sh STAGE OUTDIR      (`make package` and tests/deploy both run this)
# SKIP_LINT=1 skips cfn-lint (the tests lint in a test of their own); BIN picks the venv.
#
# Needs no AWS account, credentials or config. The AWS config files and profile variables
# are hidden on purpose: a stale profile or SSO session must not break packaging, and the
# template must not depend on whose machine built it. Chalice insists on a region, and the
# template does not depend on it (every ARN uses ${AWS::Region}), so us-east-1 is given.
set -euo pipefail
stage=${1:?usage: deploy/package.sh STAGE OUTDIR}
out=${2:?usage: deploy/package.sh STAGE OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/.venv/bin}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/sam.json" "$out/member.json" "$out/deployment.zip" "$out/layer-deployment.zip" "$out/merge-$stage.json"
hermetic=(env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY
          -u AWS_SESSION_TOKEN -u AWS_REGION AWS_DEFAULT_REGION=us-east-1
          AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null)
cd "$root"
"${hermetic[@]}" "$bin/python" deploy/build_merge_template.py --stage "$stage" --output "$out/merge-$stage.json"
"${hermetic[@]}" "$bin/chalice" package --stage "$stage" --merge-template "$out/merge-$stage.json" "$out"
# The member StackSet template (issue 14): the same families, patterns and states, forwarded to the central bus.
"${hermetic[@]}" "$bin/python" deploy/build_member_template.py --stage "$stage" --template "$out/sam.json" \
  --output "$out/member.json"
if [ "${SKIP_LINT:-0}" != 1 ]; then
  "$bin/cfn-lint" "$out/sam.json" "$out/member.json"
  echo "cfn-lint: $out/sam.json and $out/member.json are clean"
fi
