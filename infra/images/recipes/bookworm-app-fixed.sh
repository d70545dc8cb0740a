#!/usr/bin/env bash
# bookworm-app-fixed: the demo's "fixed version" of bookworm-app. All four
# layers of bookworm-app (shared byte for byte) plus
#   layer 4  `pip install --upgrade urllib3==1.26.18`: pip uninstalls
#            urllib3 1.26.4 (whiteouts for its files and dist-info) and
#            installs the release that fixes every urllib3 advisory that
#            hits 1.26.4 in ../shared/vulndata/osv/PyPI
# Pushed later under a tag the demo's rule matches, its scan must mark those
# urllib3 issues fixed and leave every other finding open.
# Ground truth: as bookworm-app (dpkg.txt, pip.txt/pip.json, npm.json,
# os-release, layers.txt, packages.tsv, steps/).
# deps: bookworm-app
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

layout=$OUT/oci
bundle=$WORK/bundle
rootfs=$bundle/rootfs
exp=$OUT/expected
site=$rootfs/usr/local/lib/python3.11/site-packages
fixed=urllib3==1.26.18

oci_from bookworm-app "$layout" "$NAME"
oci_unpack "$layout" "$NAME" "$bundle"
# The snapshots of the shared layers are bookworm-app's.
cp -a "$IMAGE_CACHE/bookworm-app/expected/steps" "$exp/steps"

# PYTHONPATH makes pip see the image's urllib3 1.26.4 as installed, so it
# uninstalls it before installing the new one into the same --prefix (as a
# `RUN pip install --upgrade` in the image would).
PYTHONPATH=$site run "pip install --upgrade $fixed" python3 -m pip install --disable-pip-version-check \
  --root-user-action=ignore --no-deps --no-compile --only-binary=:all: --no-warn-script-location \
  --upgrade --prefix "$rootfs/usr/local" "$fixed"
[ ! -e "$site/urllib3-1.26.4.dist-info" ] || die "pip left urllib3 1.26.4's dist-info behind"
oci_repack "$layout" "$NAME" "$bundle" "pip install --no-deps --upgrade $fixed"
snapshot "$rootfs" "$exp/steps/4"

dpkg_truth "$rootfs" "$exp/dpkg.txt"
pip_truth "$site" "$exp"
npm_truth "$rootfs/app" "$exp/npm.json"
os_release "$rootfs" "$exp/os-release"
# Hints for humans: which advisories we expect (not ground truth).
cat >"$exp/README" <<'HINT'
Hint only (the engine's tests compute the real expectation):
everything bookworm-app has, except urllib3: 1.26.18 is outside every
urllib3 range in ../shared/vulndata/osv/PyPI, so PYSEC-2021-108,
PYSEC-2023-192 and PYSEC-2023-212 are the demo's issues marked fixed.
HINT
finish_expected "$layout" "$NAME" "$exp"
