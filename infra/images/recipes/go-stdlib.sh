#!/usr/bin/env bash
# go-stdlib: bookworm-base (layer 0, shared) plus one layer with two Go
# binaries built by Debian's Go toolchain (`go`, golang-1.19 in bookworm):
#   /usr/local/bin/hello      standard library only
#   /usr/local/bin/htmltitle  also uses golang.org/x/net/html, vendored from
#                             Debian's golang-golang-x-net-dev package (the
#                             Go module proxy is not reachable here, and a
#                             Debian-packaged module is what Debian builds use)
# Build info therefore names the Go version (the `stdlib` package of the Go
# advisories) and, for htmltitle, the module golang.org/x/net at the version
# Debian packages (v0.7.0 in bookworm).
# Ground truth: go.txt (`go version -m` of both binaries, image paths),
# dpkg.txt, os-release, layers.txt, packages.tsv, steps/.
# deps: bookworm-base
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
need go golang-go
need apt-get apt
need dpkg-deb dpkg

layout=$OUT/oci
bundle=$WORK/bundle
rootfs=$bundle/rootfs
exp=$OUT/expected
src=$WORK/src
export GO_BINARIES="usr/local/bin/hello usr/local/bin/htmltitle"

# ---- fetch golang.org/x/net from Debian (cached beside the images)
downloads=$IMAGE_CACHE/.downloads
mkdir -p "$downloads"
deb=$(ls "$downloads"/golang-golang-x-net-dev_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
  if ! (cd "$downloads" && apt-get download golang-golang-x-net-dev 2>/dev/null); then
    # apt's package lists may be missing on a fresh machine.
    [ "$(id -u)" = 0 ] || die "apt-get download golang-golang-x-net-dev failed; run 'apt-get update' as root"
    log "apt-get download failed; running apt-get update once"
    apt-get update -qq || die "apt-get update failed"
    (cd "$downloads" && apt-get download golang-golang-x-net-dev 2>/dev/null) ||
      die "apt-get download golang-golang-x-net-dev failed (is Debian's mirror reachable?)"
  fi
  deb=$(ls "$downloads"/golang-golang-x-net-dev_*.deb | head -n1)
fi
debver=$(dpkg-deb -f "$deb" Version)
# Debian "1:0.7.0+dfsg-1" -> Go module version "v0.7.0".
modver=v$(echo "$debver" | sed -E 's/^[0-9]+://; s/[+~-].*$//')
log "golang.org/x/net $modver from $(basename "$deb")"
mkdir -p "$WORK/deb"
dpkg-deb -x "$deb" "$WORK/deb"
xnet=$WORK/deb/usr/share/gocode/src/golang.org/x/net

# ---- sources
mkdir -p "$src/hello" "$src/htmltitle/vendor/golang.org/x/net"
cat >"$src/hello/go.mod" <<'EOF'
module example.com/tagwarden/hello

go 1.19
EOF
cat >"$src/hello/main.go" <<'EOF'
// hello prints a greeting and the Go version it was built with.
package main

import (
	"fmt"
	"runtime"
)

func main() { fmt.Println("hello from Tagwarden's go-stdlib image,", runtime.Version()) }
EOF
cat >"$src/htmltitle/go.mod" <<EOF
module example.com/tagwarden/htmltitle

go 1.19

require golang.org/x/net $modver
EOF
cat >"$src/htmltitle/main.go" <<'EOF'
// htmltitle prints the <title> of the HTML document on stdin.
package main

import (
	"fmt"
	"os"

	"golang.org/x/net/html"
)

func main() {
	doc, err := html.Parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil {
			fmt.Println(n.FirstChild.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}
EOF
# Vendor only the packages we import (html imports html/atom), without tests.
for pkg in html html/atom; do
  mkdir -p "$src/htmltitle/vendor/golang.org/x/net/$pkg"
  find "$xnet/$pkg" -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} "$src/htmltitle/vendor/golang.org/x/net/$pkg/" \;
done
# Debian keeps the licence in its copyright file.
cp "$WORK/deb/usr/share/doc/golang-golang-x-net-dev/copyright" "$src/htmltitle/vendor/golang.org/x/net/LICENSE"
cat >"$src/htmltitle/vendor/modules.txt" <<EOF
# golang.org/x/net $modver
## explicit; go 1.17
golang.org/x/net/html
golang.org/x/net/html/atom
EOF

# ---- build (offline: no proxy, vendored modules; static so it runs anywhere)
export GOPROXY=off GOFLAGS=-mod=vendor GOTOOLCHAIN=local CGO_ENABLED=0 GOOS=linux GOARCH=amd64
export GOPATH=$WORK/gopath GOCACHE=$IMAGE_CACHE/.gocache
unpack_and_build() {
  oci_from bookworm-base "$layout" "$NAME"
  oci_unpack "$layout" "$NAME" "$bundle"
  snapshot "$rootfs" "$exp/steps/0"
  mkdir -p "$rootfs/usr/local/bin"
  (cd "$src/hello" && GOFLAGS=-mod=mod go build -trimpath -o "$rootfs/usr/local/bin/hello" .) || die "go build hello failed"
  (cd "$src/htmltitle" && go build -trimpath -o "$rootfs/usr/local/bin/htmltitle" .) || die "go build htmltitle (vendored golang.org/x/net $modver) failed"
}
unpack_and_build
oci_repack "$layout" "$NAME" "$bundle" "go build -trimpath ./hello ./htmltitle ($(go env GOVERSION), golang.org/x/net $modver from Debian $debver)"
snapshot "$rootfs" "$exp/steps/1"
oci_config "$layout" "$NAME" --config.cmd=/usr/local/bin/hello

go_truth "$rootfs" "$exp/go.txt" $GO_BINARIES
dpkg_truth "$rootfs" "$exp/dpkg.txt"
os_release "$rootfs" "$exp/os-release"
# Hints for humans: which advisories we expect (not ground truth).
cat >"$exp/README" <<'HINT'
Hint only, from a SEMVER range check over ../shared/vulndata/osv/Go (the
engine's tests compute the real expectation; these are module-level
matches, without symbol reachability):
stdlib go1.19.8 (both binaries), 80 records:
  GO-2023-1751 GO-2023-1752 GO-2023-1753 GO-2023-1840 GO-2023-1878
  GO-2023-1987 GO-2023-2041 GO-2023-2043 GO-2023-2102 GO-2023-2185
  GO-2023-2186 GO-2023-2375 GO-2023-2382 GO-2024-2598 GO-2024-2599
  GO-2024-2600 GO-2024-2609 GO-2024-2610 GO-2024-2687 GO-2024-2887
  GO-2024-2888 GO-2024-2963 GO-2024-3105 GO-2024-3106 GO-2024-3107
  GO-2025-3373 GO-2025-3420 GO-2025-3447 GO-2025-3503 GO-2025-3563
  GO-2025-3750 GO-2025-3751 GO-2025-3849 GO-2025-3956 GO-2025-4006
  GO-2025-4007 GO-2025-4008 GO-2025-4009 GO-2025-4010 GO-2025-4011
  GO-2025-4012 GO-2025-4013 GO-2025-4014 GO-2025-4015 GO-2025-4155
  GO-2025-4175 GO-2026-4337 GO-2026-4340 GO-2026-4341 GO-2026-4342
  GO-2026-4403 GO-2026-4601 GO-2026-4602 GO-2026-4603 GO-2026-4864
  GO-2026-4865 GO-2026-4869 GO-2026-4870 GO-2026-4918 GO-2026-4946
  GO-2026-4947 GO-2026-4970 GO-2026-4971 GO-2026-4976 GO-2026-4977
  GO-2026-4980 GO-2026-4981 GO-2026-4982 GO-2026-4986 GO-2026-5026
  GO-2026-5037 GO-2026-5038 GO-2026-5039 GO-2026-5856 GO-2026-5972
  GO-2026-6088 GO-2026-6089 GO-2026-6090 GO-2026-6091 GO-2026-6218
golang.org/x/net v0.7.0 (htmltitle), 16 records:
  GO-2023-1988 GO-2023-2102 GO-2024-2687 GO-2024-3333 GO-2025-3503
  GO-2025-3595 GO-2026-4440 GO-2026-4441 GO-2026-4918 GO-2026-5025
  GO-2026-5026 GO-2026-5027 GO-2026-5028 GO-2026-5029 GO-2026-5030
  GO-2026-5942
dpkg: no Debian 12 data (not covered).
HINT
finish_expected "$layout" "$NAME" "$exp"
cat "$exp/go.txt" >&2
