#!/usr/bin/env python3
"""What a phone downloads: the release wasm in target/site/pkg, split by
`cargo leptos build --release --split` into the main module and the chunks each group of pages
loads with (app/src/pages/routes.rs). Prints each screen's total (the main module and every
chunk its group needs, from __wasm_split_manifest.json) in gzip -9 and in brotli (the .br
siblings scripts/setup.sh writes, what the server sends), and checks them against budgets.

Usage: bundle_sizes.py PKG_DIR [--first-screen-gzip N] [--all-gzip N] [--markdown]
Exits 1, saying which and by how much, when a total is over its budget or a file is missing.
"""

import argparse
import gzip
import json
import os
import sys

# The group whose code the first screen (the dashboard) needs: `trading_page` in routes.rs.
FIRST_SCREEN = "trading_page"


def gzip_size(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), compresslevel=9, mtime=0))


def brotli_size(path):
    br = path + ".br"
    if not os.path.isfile(br) or os.path.getmtime(br) < os.path.getmtime(path):
        sys.exit(f"{br} is missing or older than its file: scripts/setup.sh's build_release writes it")
    return os.path.getsize(br)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pkg")
    parser.add_argument("--first-screen-gzip", type=int)
    parser.add_argument("--all-gzip", type=int)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    def wasm(name):
        path = os.path.join(args.pkg, name + ".wasm")
        if not os.path.isfile(path):
            sys.exit(f"{path} is missing: build with scripts/setup.sh's build_release")
        return path

    main_module = wasm("osp")
    manifest_path = os.path.join(args.pkg, "__wasm_split_manifest.json")
    if not os.path.isfile(manifest_path):
        sys.exit(f"{manifest_path} is missing: the bundle was built without --split")
    with open(manifest_path) as f:
        manifest = json.load(f)

    groups = {}
    for split, files in manifest.items():
        # `__trading_page_1234…` -> `trading_page`
        name = split.strip("_").rsplit("_", 1)[0]
        groups[name] = [wasm(f) for f in files]
    if FIRST_SCREEN not in groups:
        sys.exit(f"no `{FIRST_SCREEN}` split in {manifest_path}: was it renamed in app/src/pages/routes.rs?")

    every = sorted({main_module} | {f for files in groups.values() for f in files})
    rows = [("main module (every page)", [main_module])]
    rows += [(f"screen of `{g}`", [main_module] + files) for g, files in sorted(groups.items())]
    rows.append((f"every page ({len(every)} files)", every))

    totals = {}
    lines = []
    for label, files in rows:
        raw = sum(os.path.getsize(f) for f in files)
        gz = sum(gzip_size(f) for f in files)
        br = sum(brotli_size(f) for f in files)
        totals[label] = gz
        if args.markdown:
            lines.append(f"| {label} | {len(files)} | {raw:,} | {gz:,} | {br:,} |")
        else:
            lines.append(f"{label}: {len(files)} files, {raw:,} bytes, {gz:,} gzip, {br:,} brotli")
    if args.markdown:
        print("| Wasm | Files | Bytes | Gzip | Brotli (sent) |\n|---|---:|---:|---:|---:|")
    print("\n".join(lines))

    over = []
    first = totals[f"screen of `{FIRST_SCREEN}`"]
    if args.first_screen_gzip is not None and first > args.first_screen_gzip:
        over.append(f"the first screen's wasm is {first:,} bytes gzip, over its budget of {args.first_screen_gzip:,}")
    everything = totals[rows[-1][0]]
    if args.all_gzip is not None and everything > args.all_gzip:
        over.append(f"every page's wasm together is {everything:,} bytes gzip, over its budget of {args.all_gzip:,}")
    if over:
        sys.exit("; ".join(over) + ": look at what the change added to app/ and frontend/ (new crates, "
                 "large views, code the shell reaches that only one page needs)")


if __name__ == "__main__":
    main()
