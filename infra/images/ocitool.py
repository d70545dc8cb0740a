#!/usr/bin/env python3
"""Small OCI-layout helpers for the image recipes (standard library only).

umoci builds and unpacks images but cannot write zstd layers, image indexes
or attestation manifests, and describes layers only as JSON; these
subcommands fill those gaps by editing the layout's blobs and index.json
directly, always recomputing digests and sizes.

  layers      LAYOUT TAG OUTDIR        write layers.txt and layers/<i>.txt
  recompress  LAYOUT TAG SPEC...       SPEC = INDEX:zstd | INDEX:none | INDEX:gzip
  index       LAYOUT TAG --platform REF=OS/ARCH[/VARIANT]... [--attest REF]
  sbom-dpkg   SBOM.cdx.xml STATUS      CycloneDX deb components -> dpkg status
  attribute   STEPSDIR LAYERS_TXT OUT  packages.tsv: which layer brought each package
  digest      LAYOUT TAG               print the manifest (or index) digest
"""

import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.parse
import xml.etree.ElementTree as ET

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_LAYER_GZIP = MT_LAYER + "+gzip"
MT_LAYER_ZSTD = MT_LAYER + "+zstd"
REF_NAME = "org.opencontainers.image.ref.name"


def die(msg):
    print(f"error: ocitool: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- layout io

def blob_path(layout, digest):
    algo, hexd = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexd)


def read_json_blob(layout, digest):
    with open(blob_path(layout, digest), "rb") as f:
        data = f.read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        die(f"blob {digest} in {layout} does not match its digest")
    return json.loads(data)


def write_blob(layout, data):
    """Store bytes as a blob; returns (digest, size)."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(layout, digest)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
    return digest, len(data)


def write_json_blob(layout, obj):
    # Compact and key-sorted, like umoci and containerd write them.
    return write_blob(layout, json.dumps(obj, separators=(",", ":"), sort_keys=True).encode())


def load_index(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)


def save_index(layout, index):
    tmp = os.path.join(layout, "index.json.tmp")
    with open(tmp, "w") as f:
        json.dump(index, f, separators=(",", ":"))
    os.rename(tmp, os.path.join(layout, "index.json"))


def find_ref(index, tag):
    for i, m in enumerate(index.get("manifests", [])):
        if m.get("annotations", {}).get(REF_NAME) == tag:
            return i, m
    die(f"tag {tag!r} not found in index.json")


def set_ref(layout, tag, descriptor):
    """Point TAG at DESCRIPTOR in index.json (replacing the old entry)."""
    index = load_index(layout)
    descriptor = dict(descriptor)
    descriptor["annotations"] = dict(descriptor.get("annotations", {}), **{REF_NAME: tag})
    manifests = [m for m in index.get("manifests", [])
                 if m.get("annotations", {}).get(REF_NAME) != tag]
    manifests.append(descriptor)
    index["manifests"] = manifests
    save_index(layout, index)


def drop_ref(layout, tag):
    index = load_index(layout)
    index["manifests"] = [m for m in index.get("manifests", [])
                          if m.get("annotations", {}).get(REF_NAME) != tag]
    save_index(layout, index)


def manifest_of(layout, tag):
    _, desc = find_ref(load_index(layout), tag)
    if desc["mediaType"] != MT_MANIFEST:
        die(f"{tag} is a {desc['mediaType']}, not an image manifest")
    return desc, read_json_blob(layout, desc["digest"])


def decompress_cmd(media_type):
    if media_type.endswith("+gzip") or media_type.endswith(".tar.gzip"):
        return ["gzip", "-dc"]
    if media_type.endswith("+zstd"):
        return ["zstd", "-dcq"]
    if media_type in (MT_LAYER, "application/vnd.docker.image.rootfs.diff.tar"):
        return ["cat"]
    die(f"unknown layer media type {media_type}")


def stream_layer(layout, layer):
    """A pipe of the layer's uncompressed tar stream."""
    return subprocess.Popen(decompress_cmd(layer["mediaType"]) + [blob_path(layout, layer["digest"])],
                            stdout=subprocess.PIPE)


# ---------------------------------------------------------------- layers

def cmd_layers(args):
    desc, manifest = manifest_of(args.layout, args.tag)
    config = read_json_blob(args.layout, manifest["config"]["digest"])
    diff_ids = config["rootfs"]["diff_ids"]
    history = [h for h in config.get("history", []) if not h.get("empty_layer")]
    os.makedirs(os.path.join(args.outdir, "layers"), exist_ok=True)
    lines = [
        "# One line per layer, bottom first. Columns (tab-separated):",
        "# index  blob digest  diff_id  media type  blob size  tar entries  whiteouts  created_by",
        "# layers/<index>.txt lists every tar entry of that layer: type, mode, uid:gid, size, path[ -> target].",
        f"# manifest {desc['digest']}  config {manifest['config']['digest']}",
    ]
    for i, layer in enumerate(manifest["layers"]):
        proc = stream_layer(args.layout, layer)
        hasher = hashlib.sha256()

        class Tee(io.RawIOBase):
            def readable(self):
                return True

            def readinto(self, b):
                data = proc.stdout.read(len(b))
                hasher.update(data)
                b[:len(data)] = data
                return len(data)

        entries = whiteouts = 0
        listing = []
        buf = io.BufferedReader(Tee(), 1 << 20)
        with tarfile.open(fileobj=buf, mode="r|") as tf:
            for m in tf:
                entries += 1
                base = os.path.basename(m.name.rstrip("/"))
                if base.startswith(".wh."):
                    whiteouts += 1
                kind = ("d" if m.isdir() else "l" if m.issym() else "h" if m.islnk() else
                        "c" if m.ischr() else "b" if m.isblk() else "p" if m.isfifo() else "f")
                target = f" -> {m.linkname}" if m.issym() or m.islnk() else ""
                listing.append(f"{kind} {m.mode:04o} {m.uid}:{m.gid} {m.size} {m.name}{target}")
        # Drain the end-of-archive padding through the hasher so the digest
        # covers the whole uncompressed stream (that is what a diff id is).
        while buf.read(1 << 20):
            pass
        if proc.wait() != 0:
            die(f"decompressing layer {i} ({layer['digest']}) failed")
        diff_id = "sha256:" + hasher.hexdigest()
        if i < len(diff_ids) and diff_id != diff_ids[i]:
            die(f"layer {i}: uncompressed digest {diff_id} differs from config diff_id {diff_ids[i]}")
        created_by = history[i].get("created_by", "") if i < len(history) else ""
        lines.append("\t".join([str(i), layer["digest"], diff_id, layer["mediaType"], str(layer["size"]),
                                str(entries), str(whiteouts), created_by.replace("\t", " ").replace("\n", " ")]))
        with open(os.path.join(args.outdir, "layers", f"{i}.txt"), "w") as f:
            f.write("\n".join(listing) + "\n")
    with open(os.path.join(args.outdir, "layers.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- recompress

def cmd_recompress(args):
    """Re-encode chosen layers (zstd, gzip or none) and rewrite the manifest.

    The uncompressed tar stream, hence the config's diff_ids, stays the same;
    only the layer descriptors (digest, size, media type) and so the manifest
    digest change."""
    desc, manifest = manifest_of(args.layout, args.tag)
    for spec in args.specs:
        try:
            idx_s, codec = spec.split(":")
            idx = int(idx_s)
            layer = manifest["layers"][idx]
        except (ValueError, IndexError):
            die(f"bad spec {spec!r}: want INDEX:zstd|gzip|none with an existing layer index")
        src = stream_layer(args.layout, layer)
        if codec == "zstd":
            # -T0: all cores; level 3 is zstd's default and what buildkit uses.
            enc = subprocess.run(["zstd", "-q", "-3", "-T0", "-c"], stdin=src.stdout, stdout=subprocess.PIPE, check=True)
            data, mt = enc.stdout, MT_LAYER_ZSTD
        elif codec == "gzip":
            enc = subprocess.run(["gzip", "-n", "-c"], stdin=src.stdout, stdout=subprocess.PIPE, check=True)
            data, mt = enc.stdout, MT_LAYER_GZIP
        elif codec == "none":
            data, mt = src.stdout.read(), MT_LAYER
        else:
            die(f"unknown codec {codec!r} in {spec!r}")
        if src.wait() != 0:
            die(f"decompressing layer {idx} ({layer['digest']}) failed")
        digest, size = write_blob(args.layout, data)
        manifest["layers"][idx] = {"mediaType": mt, "digest": digest, "size": size}
    digest, size = write_json_blob(args.layout, manifest)
    set_ref(args.layout, args.tag, {"mediaType": MT_MANIFEST, "digest": digest, "size": size})


# ---------------------------------------------------------------- index

def cmd_index(args):
    """Make TAG an image index over other tags of the layout, optionally with
    a BuildKit-style attestation manifest for one of them."""
    index = load_index(args.layout)
    entries = []
    by_ref = {}
    for spec in args.platform:
        ref, _, plat = spec.partition("=")
        parts = plat.split("/")
        if len(parts) not in (2, 3):
            die(f"bad --platform {spec!r}: want REF=OS/ARCH[/VARIANT]")
        _, desc = find_ref(index, ref)
        platform = {"architecture": parts[1], "os": parts[0]}
        if len(parts) == 3:
            platform["variant"] = parts[2]
        entry = {"mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"],
                 "platform": platform}
        entries.append(entry)
        by_ref[ref] = entry
    for ref in args.attest or []:
        subject = by_ref.get(ref) or die(f"--attest {ref}: not one of the --platform refs")
        statement = {
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://spdx.dev/Document",
            "subject": [{"name": f"pkg:docker/tagwarden/{args.tag}?platform="
                                 + urllib.parse.quote(f"{subject['platform']['os']}/{subject['platform']['architecture']}", safe=""),
                         "digest": {"sha256": subject["digest"].split(":", 1)[1]}}],
            "predicate": {"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
                          "name": f"tagwarden-{args.tag}", "dataLicense": "CC0-1.0",
                          "packages": []},
        }
        layer_digest, layer_size = write_blob(args.layout, json.dumps(statement, indent=2).encode())
        # The same config shape BuildKit writes for attestation manifests.
        config = {"architecture": "unknown", "os": "unknown", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}
        config_digest, config_size = write_json_blob(args.layout, config)
        manifest = {
            "schemaVersion": 2, "mediaType": MT_MANIFEST,
            "config": {"mediaType": MT_CONFIG, "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": layer_digest, "size": layer_size,
                        "annotations": {"in-toto.io/predicate-type": "https://spdx.dev/Document"}}],
        }
        m_digest, m_size = write_json_blob(args.layout, manifest)
        entries.append({"mediaType": MT_MANIFEST, "digest": m_digest, "size": m_size,
                        "annotations": {"vnd.docker.reference.digest": subject["digest"],
                                        "vnd.docker.reference.type": "attestation-manifest"},
                        "platform": {"architecture": "unknown", "os": "unknown"}})
    image_index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries}
    digest, size = write_json_blob(args.layout, image_index)
    set_ref(args.layout, args.tag, {"mediaType": MT_INDEX, "digest": digest, "size": size})
    for ref in by_ref:
        if ref != args.tag and not args.keep_refs:
            drop_ref(args.layout, ref)
    for e in entries:
        p = e["platform"]
        print(f"{p['os']}/{p['architecture']}\t{e['digest']}\t{e.get('annotations', {}).get('vnd.docker.reference.type', 'image')}")


# ---------------------------------------------------------------- sbom-dpkg

def cmd_sbom_dpkg(args):
    """Turn the deb components of a CycloneDX SBOM (syft's output) into a
    dpkg status file: binary name, version, architecture and the source
    package with its version when it differs (the `Source:` field)."""
    ns = {"c": "http://cyclonedx.org/schema/bom/1.4"}
    root = ET.parse(args.sbom).getroot()
    m = re.match(r"\{(.*)\}", root.tag)
    if m:
        ns["c"] = m.group(1)
    pkgs = {}
    for comp in root.iterfind(".//c:components/c:component", ns):
        purl = comp.findtext("c:purl", default="", namespaces=ns)
        if not purl.startswith("pkg:deb/"):
            continue  # the image's Go binaries and the postgres tarball are not dpkg packages
        props = {p.get("name"): p.text for p in comp.iterfind("c:properties/c:property", ns)}
        name = comp.findtext("c:name", namespaces=ns)
        version = comp.findtext("c:version", namespaces=ns)
        _, _, rest = purl.partition("@")
        qs = urllib.parse.parse_qs(rest.partition("?")[2])
        arch = (qs.get("arch") or [props.get("syft:metadata:architecture") or "amd64"])[0]
        src_name, src_version = name, version
        if "upstream" in qs:
            # purl 'upstream' is "src" or "src@version" (percent-encoded '@').
            up = qs["upstream"][0]
            src_name, _, v = up.partition("@")
            src_version = v or version
        if props.get("syft:metadata:source"):
            src_name = props["syft:metadata:source"]
        if props.get("syft:metadata:sourceVersion"):
            src_version = props["syft:metadata:sourceVersion"]
        publisher = comp.findtext("c:publisher", default="unknown", namespaces=ns)
        size = props.get("syft:metadata:installedSize")
        if name in pkgs:
            die(f"{args.sbom}: package {name} listed twice")
        pkgs[name] = (version, arch, src_name, src_version, publisher, size)
    if not pkgs:
        die(f"{args.sbom}: no pkg:deb components found")
    out = []
    for name in sorted(pkgs):
        version, arch, src_name, src_version, publisher, size = pkgs[name]
        st = [f"Package: {name}", "Status: install ok installed", "Priority: optional", "Section: misc"]
        if size:
            st.append(f"Installed-Size: {size}")
        st.append(f"Maintainer: {publisher}")
        st.append(f"Architecture: {arch}")
        if src_name != name or src_version != version:
            st.append(f"Source: {src_name}" + (f" ({src_version})" if src_version != version else ""))
        st.append(f"Version: {version}")
        st.append(f"Description: {name} (rebuilt from the postgres:11.15-stretch CycloneDX SBOM)")
        out.append("\n".join(st))
    os.makedirs(os.path.dirname(os.path.abspath(args.status)), exist_ok=True)
    with open(args.status, "w") as f:
        f.write("\n\n".join(out) + "\n")
    print(f"{len(pkgs)} dpkg packages written to {args.status}")


# ---------------------------------------------------------------- attribute

def step_packages(step_dir):
    """(type, name, version) tuples of one cumulative snapshot."""
    pkgs = set()
    p = os.path.join(step_dir, "dpkg.txt")
    if os.path.exists(p):
        for line in open(p):
            f = line.split()
            if f:
                pkgs.add(("dpkg", f[0], f[1]))
    p = os.path.join(step_dir, "pip.json")
    if os.path.exists(p):
        for d in json.load(open(p)):
            pkgs.add(("pypi", d["name"], d["version"]))
    p = os.path.join(step_dir, "npm.json")
    if os.path.exists(p):
        def walk(deps):
            for name, d in (deps or {}).items():
                if "version" in d:
                    pkgs.add(("npm", name, d["version"]))
                walk(d.get("dependencies"))
        walk(json.load(open(p)).get("dependencies"))
    p = os.path.join(step_dir, "go.txt")
    if os.path.exists(p):
        for line in open(p):
            f = line.split()
            if len(f) >= 2 and f[0].endswith(":"):
                pkgs.add(("go-stdlib", "stdlib", f[1]))
            elif len(f) >= 3 and f[0] in ("mod", "dep"):
                pkgs.add(("go", f[1], f[2]))
    return pkgs


def cmd_attribute(args):
    """Each package of the final filesystem is attributed to the lowest
    layer from which it is present in every later snapshot, i.e. the layer
    that installed this version (Trivy's and Grype's convention: a package
    keeps the layer that brought it even when a later layer rewrites the
    dpkg status for some other package)."""
    diff_ids = []
    for line in open(args.layers_txt):
        if line.startswith("#") or not line.strip():
            continue
        diff_ids.append(line.split("\t")[2])
    steps = [step_packages(os.path.join(args.steps, str(i))) for i in range(len(diff_ids))]
    final = steps[-1]
    rows = []
    for pkg in sorted(final):
        layer = len(steps) - 1
        while layer > 0 and pkg in steps[layer - 1]:
            layer -= 1
        rows.append("\t".join([*pkg, str(layer), diff_ids[layer]]))
    removed = []
    for i in range(1, len(steps)):
        for pkg in sorted(steps[i - 1] - steps[i]):
            removed.append(f"# removed in layer {i}: {' '.join(pkg)}")
    with open(args.out, "w") as f:
        f.write("# type\tname\tversion\tlayer index\tlayer diff_id (see layers.txt)\n")
        f.write("\n".join(removed + rows) + "\n")


def cmd_digest(args):
    _, desc = find_ref(load_index(args.layout), args.tag)
    print(desc["digest"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("layers"); p.add_argument("layout"); p.add_argument("tag"); p.add_argument("outdir")
    p.set_defaults(fn=cmd_layers)
    p = sub.add_parser("recompress"); p.add_argument("layout"); p.add_argument("tag"); p.add_argument("specs", nargs="+")
    p.set_defaults(fn=cmd_recompress)
    p = sub.add_parser("index"); p.add_argument("layout"); p.add_argument("tag")
    p.add_argument("--platform", action="append", required=True); p.add_argument("--attest", action="append")
    p.add_argument("--keep-refs", action="store_true")
    p.set_defaults(fn=cmd_index)
    p = sub.add_parser("sbom-dpkg"); p.add_argument("sbom"); p.add_argument("status")
    p.set_defaults(fn=cmd_sbom_dpkg)
    p = sub.add_parser("attribute"); p.add_argument("steps"); p.add_argument("layers_txt"); p.add_argument("out")
    p.set_defaults(fn=cmd_attribute)
    p = sub.add_parser("digest"); p.add_argument("layout"); p.add_argument("tag")
    p.set_defaults(fn=cmd_digest)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
