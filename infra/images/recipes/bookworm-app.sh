#!/usr/bin/env bash
# bookworm-app: bookworm-base (layer 0, shared byte for byte) plus
#   layer 1  real Python packages installed by pip into
#            /usr/local/lib/python3.11/site-packages, at versions with
#            advisories in ../shared/vulndata/osv/PyPI
#   layer 2  real npm packages installed by `npm install` into /app, at
#            versions with advisories in ../shared/vulndata/osv/npm
#   layer 3  `dpkg --purge e2fsprogs`: deletes the package's files and
#            rewrites /var/lib/dpkg/status without it, so the layer carries
#            whiteouts and an inventory must follow them
# Also writes docker-save.tar (skopeo docker-archive) beside the layout.
# Ground truth: dpkg.txt, pip.txt/pip.json, npm.json, os-release, layers.txt,
# packages.tsv, steps/<layer>/ (inventory after each layer).
# deps: bookworm-base
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
need npm npm
need node nodejs

layout=$OUT/oci
bundle=$WORK/bundle
rootfs=$bundle/rootfs
exp=$OUT/expected
site=$rootfs/usr/local/lib/python3.11/site-packages

oci_from bookworm-base "$layout" "$NAME"
oci_unpack "$layout" "$NAME" "$bundle"
snapshot "$rootfs" "$exp/steps/0"

# ---- layer 1: pip
# Every distribution pinned, transitive ones included, and installed with
# --no-deps so the set never drifts. Binary wheels only (MarkupSafe ships a
# cp311 manylinux wheel), so no compiler is needed and the build is fast.
# The advisory ids are a hint from grepping the OSV data (see README.md);
# the engine's tests compute the real expectation.
cat >"$WORK/requirements.txt" <<'EOF'
requests==2.25.1
urllib3==1.26.4
idna==2.10
certifi==2020.12.5
chardet==4.0.0
Jinja2==2.11.2
MarkupSafe==2.1.3
Django==3.2.12
sqlparse==0.4.1
asgiref==3.7.2
pytz==2023.3
EOF
# --prefix lays files out as the image's own python3.11 would
# (/usr/local/lib/python3.11/site-packages); --ignore-installed stops pip
# from skipping packages that the host's Python happens to have.
[ "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = 3.11 ] ||
  log "warning: host python3 is not 3.11; wheels are still chosen for the host's Python"
run "pip install into $site" python3 -m pip install --disable-pip-version-check --root-user-action=ignore \
  --no-deps --no-compile --ignore-installed --only-binary=:all: --no-warn-script-location \
  --prefix "$rootfs/usr/local" -r "$WORK/requirements.txt"
cp "$WORK/requirements.txt" "$rootfs/usr/local/lib/python3.11/requirements.txt"
oci_repack "$layout" "$NAME" "$bundle" "pip install --no-deps -r requirements.txt (requests urllib3 idna certifi chardet Jinja2 MarkupSafe Django sqlparse asgiref pytz)"
snapshot "$rootfs" "$exp/steps/1"

# ---- layer 2: npm
# mkdirp 0.5.1 pins minimist 0.0.8, so npm nests a second minimist under
# mkdirp/node_modules: two versions of one package in one tree.
mkdir -p "$rootfs/app"
cat >"$rootfs/app/package.json" <<'EOF'
{
  "name": "tagwarden-demo-app",
  "version": "1.0.0",
  "private": true,
  "description": "Tagwarden test image: real npm packages at versions with known advisories",
  "dependencies": {
    "jquery": "3.3.1",
    "lodash": "4.17.11",
    "minimist": "1.2.0",
    "mkdirp": "0.5.1"
  }
}
EOF
(cd "$rootfs/app" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error) ||
  die "npm install in $rootfs/app failed (is the npm registry reachable?)"
oci_repack "$layout" "$NAME" "$bundle" "npm install --ignore-scripts (jquery@3.3.1 lodash@4.17.11 minimist@1.2.0 mkdirp@0.5.1)"
snapshot "$rootfs" "$exp/steps/2"

# ---- layer 3: remove a package (whiteouts)
# e2fsprogs is not Essential and nothing in minbase depends on it; its
# sibling binaries from the same source (libext2fs2, libcom-err2, libss2,
# logsave) stay, which is a useful trap for source-based matching.
# dpkg runs its maintainer scripts chrooted into the rootfs and they write to
# /dev/null, which the base image leaves empty: provide one for the purge
# and take it away again (keeping /dev's timestamps so it is not in the diff).
touch -r "$rootfs/dev" "$WORK/dev.stamp"
mknod -m 666 "$rootfs/dev/null" c 1 3
run "dpkg --purge e2fsprogs" dpkg --root="$rootfs" --purge e2fsprogs
rm -f "$rootfs/dev/null"
touch -r "$WORK/dev.stamp" "$rootfs/dev"
grep -q '^Package: e2fsprogs$' "$rootfs/var/lib/dpkg/status" && die "e2fsprogs still in the dpkg status after purge"
[ ! -e "$rootfs/usr/sbin/mke2fs" ] || die "e2fsprogs' files are still there after purge"
oci_repack "$layout" "$NAME" "$bundle" "dpkg --purge e2fsprogs"
snapshot "$rootfs" "$exp/steps/3"

oci_config "$layout" "$NAME" --config.workingdir=/app --config.cmd=/bin/bash

# ---- ground truth of the final filesystem
dpkg_truth "$rootfs" "$exp/dpkg.txt"
pip_truth "$site" "$exp"
npm_truth "$rootfs/app" "$exp/npm.json"
os_release "$rootfs" "$exp/os-release"
# Hints for humans: which advisories we expect (not ground truth).
cat >"$exp/README" <<'HINT'
Hint only, from grepping ../shared/vulndata/osv with PEP 440 / semver
range checks (the engine's tests compute the real expectation):
PyPI
  urllib3 1.26.4     PYSEC-2021-108 PYSEC-2023-192 PYSEC-2023-212
  requests 2.25.1    PYSEC-2023-74
  idna 2.10          PYSEC-2024-60
  certifi 2020.12.5  PYSEC-2022-42986 PYSEC-2023-135
  Jinja2 2.11.2      PYSEC-2021-66
  sqlparse 0.4.1     PYSEC-2021-333 PYSEC-2023-87
  Django 3.2.12      PYSEC-2022-190 PYSEC-2022-191 PYSEC-2022-213 PYSEC-2022-245
                     PYSEC-2022-304 PYSEC-2023-12 PYSEC-2023-13 PYSEC-2023-61
                     PYSEC-2023-100 PYSEC-2023-222 PYSEC-2023-225 PYSEC-2023-226
                     PYSEC-2024-28 PYSEC-2024-47
  chardet, MarkupSafe, asgiref, pytz: none
npm
  lodash 4.17.11     GHSA-jf85-cpcp-j695 (CVE-2019-10744)
  minimist 1.2.0     GHSA-vh95-rmgr-6w4m (CVE-2020-7598) GHSA-xvch-5gv4-984h (CVE-2021-44906)
  minimist 0.0.8     the same two (nested under mkdirp)
  jquery 3.3.1       GHSA-6c3j-c64m-qhgq (CVE-2019-11358)
  mkdirp 0.5.1       none in the samples
dpkg: no Debian 12 data (not covered); e2fsprogs was purged in layer 3.
HINT
finish_expected "$layout" "$NAME" "$exp"

# ---- the same image as a `docker save` tarball (uncompressed layers)
run "skopeo copy to docker-archive" skopeo copy --quiet "oci:$layout:$NAME" "docker-archive:$OUT/docker-save.tar:$NAME:latest"
