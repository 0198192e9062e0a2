#!/usr/bin/env python3
"""Where the browser bundle's bytes go, per crate; and what each page downloads.

Usage: scripts/wasm-size.py FILE.wasm [TOP]
       scripts/wasm-size.py --bundle target/site/pkg

The second form reports the shipped bundle: every module (raw and gzip -9),
and for each group of lazy routes (split point) the wasm the browser
downloads before such a page is interactive: the main module and the modules
`__wasm_split_manifest.json` lists for it.

The first form reads the wasm's code section (the size of every function body) and its
"name" custom section (each function's Rust path, as rustc and wasm-ld write
it), and sums body sizes by the crate that a function's path starts with.
A generic instantiation counts for the crate that defines the function
(`core::ptr::drop_in_place<app::X>` is core's), as twiggy's "top" would.
Data segments (string constants, tables) are listed as one line.

Run it on the wasm as cargo writes it (it keeps the name section), not on the
shipped bundle: wasm-opt strips names. Sizes are therefore before wasm-opt;
the shipped bundle is smaller, roughly in the same proportions.
"""
import json
import os
import re
import subprocess
import sys
from collections import Counter


def leb(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def name_of(buf, i):
    n, i = leb(buf, i)
    return buf[i : i + n].decode("utf-8", "replace"), i + n


def sections(buf):
    if buf[:4] != b"\0asm":
        sys.exit("not a wasm file")
    i = 8
    while i < len(buf):
        sid = buf[i]
        size, j = leb(buf, i + 1)
        yield sid, buf[j : j + size]
        i = j + size


def imported_functions(body):
    count, i = leb(body, 0)
    funcs = 0
    for _ in range(count):
        _, i = name_of(body, i)
        _, i = name_of(body, i)
        kind = body[i]
        i += 1
        if kind == 0:  # function: type index
            _, i = leb(body, i)
            funcs += 1
        elif kind == 1:  # table: reftype, limits
            i += 1
            flags = body[i]
            _, i = leb(body, i + 1)
            if flags & 1:
                _, i = leb(body, i)
        elif kind == 2:  # memory: limits
            flags = body[i]
            _, i = leb(body, i + 1)
            if flags & 1:
                _, i = leb(body, i)
        elif kind == 3:  # global: valtype, mut
            i += 2
        else:  # tag
            i += 1
            _, i = leb(body, i)
    return funcs


LEGACY_ESCAPES = {"$LT$": "<", "$GT$": ">", "$RF$": "&", "$BP$": "*", "$C$": ",",
                  "$u20$": " ", "$u27$": "'", "$u5b$": "[", "$u5d$": "]", "$u7b$": "{",
                  "$u7d$": "}", "$u3b$": ";", "$u7e$": "~", "$SP$": "@", "$u21$": "!",
                  "$u22$": '"', "$u2b$": "+"}


def demangle(name):
    """Rust's legacy mangling (`_ZN4core3ptr13drop_in_place17h…E`) to a path;
    other names are returned as they are."""
    if not name.startswith("_ZN"):
        return name
    i, parts = 3, []
    while i < len(name) and name[i].isdigit():
        j = i
        while name[j].isdigit():
            j += 1
        n = int(name[i:j])
        part = name[j : j + n]
        i = j + n
        if re.fullmatch(r"h[0-9a-f]{16}", part):
            break
        if part.startswith("_$"):
            part = part[1:]
        for k, v in LEGACY_ESCAPES.items():
            part = part.replace(k, v)
        parts.append(part.replace("..", "::"))
    return "::".join(parts)


def v0_crate(name):
    """The crate of a v0-mangled name (`_RNv…Cs<hash>_4core…`): its first
    crate root."""
    m = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)", name[2:])
    if not m:
        return None
    n = int(m.group(1))
    return name[2 + m.end() : 2 + m.end() + n]


def crate_of(name):
    if name.startswith("_R"):
        return v0_crate(name) or "(other)"
    name = demangle(name)
    # `<T as tachys::…>::f`: a generic or local self type counts for the trait.
    m = re.match(r"<([^ ]+) as ([A-Za-z_][A-Za-z0-9_]*)::", name)
    if m and "::" not in m.group(1):
        return m.group(2)
    s = name.lstrip("<&*")
    for prefix in ("dyn ", "mut ", "const "):
        if s.startswith(prefix):
            s = s[len(prefix) :].lstrip("<&*")
    m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", s)
    if not m:
        return "(other)"
    crate = m.group(0)
    if "::" not in s[: m.end() + 2]:
        return "(unnamed: " + ("wasm-bindgen glue" if crate.startswith("__wbg") else "other") + ")"
    return crate


def gz(path):
    """Size after `gzip -9` (the figure BENCHMARKS.md has always used)."""
    return len(subprocess.run(["gzip", "-9", "-c", path], check=True, capture_output=True).stdout)


def bundle(pkg):
    files = sorted(f for f in os.listdir(pkg) if f.endswith((".wasm", ".js")))
    sizes = {f: (os.path.getsize(os.path.join(pkg, f)), gz(os.path.join(pkg, f))) for f in files}
    print(f"{'file':<44} {'raw':>10} {'gzip -9':>10}")
    chunks = [f for f in files if f.startswith("chunk_")]
    for f in files:
        if f not in chunks:
            print(f"{re.sub(r'_[0-9]+[.]', '.', f):<44} {sizes[f][0]:>10,} {sizes[f][1]:>10,}")
    if chunks:
        print(f"{'chunk_*.wasm (' + str(len(chunks)) + ', code shared by groups)':<44} "
              f"{sum(sizes[f][0] for f in chunks):>10,} {sum(sizes[f][1] for f in chunks):>10,}")
    wasm = [f for f in files if f.endswith(".wasm")]
    print(f"{'all wasm (' + str(len(wasm)) + ' modules)':<44} {sum(sizes[f][0] for f in wasm):>10,} "
          f"{sum(sizes[f][1] for f in wasm):>10,}")
    manifest_path = os.path.join(pkg, "__wasm_split_manifest.json")
    if not os.path.exists(manifest_path):
        return
    manifest = json.load(open(manifest_path))
    js = [f for f in files if f.endswith(".js")]
    print()
    print("Downloaded before a page is interactive: the main module and the modules")
    print("the manifest lists for the page's lazy route (JavaScript apart: every page")
    print("loads all the .js above)")
    print(f"{'lazy route group':<32} {'modules':>8} {'wasm raw':>10} {'wasm gzip':>10}")
    for split, modules in sorted(manifest.items()):
        needed = ["slipway.wasm"] + [m + ".wasm" for m in modules]
        raw = sum(sizes[f][0] for f in needed)
        packed = sum(sizes[f][1] for f in needed)
        # `#[lazy]` appends a hash of its source location to the name.
        name = re.sub(r"_[0-9]+$", "", split)
        print(f"{name:<32} {len(needed):>8} {raw:>10,} {packed:>10,}")


def main():
    if sys.argv[1] == "--bundle":
        return bundle(sys.argv[2])
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    buf = open(path, "rb").read()
    imports = 0
    bodies = []
    names = {}
    data = 0
    for sid, body in sections(buf):
        if sid == 2:
            imports = imported_functions(body)
        elif sid == 10:
            count, i = leb(body, 0)
            for _ in range(count):
                size, j = leb(body, i)
                bodies.append(size + (j - i))
                i = j + size
        elif sid == 11:
            data += len(body)
        elif sid == 0:
            cname, i = name_of(body, 0)
            if cname != "name":
                continue
            while i < len(body):
                sub = body[i]
                size, j = leb(body, i + 1)
                if sub == 1:
                    count, k = leb(body, j)
                    for _ in range(count):
                        idx, k = leb(body, k)
                        fname, k = name_of(body, k)
                        names[idx] = fname
                i = j + size
    if not names:
        sys.exit("no name section: run this on cargo's output, before wasm-opt")
    per_crate = Counter()
    for n, size in enumerate(bodies):
        per_crate[crate_of(names.get(imports + n, ""))] += size
    code = sum(bodies)
    total = len(buf)
    print(f"{path}: {total:,} bytes; code {code:,} in {len(bodies):,} functions; data {data:,}")
    print(f"{'crate':<32} {'bytes':>10} {'share of code':>14}")
    for crate, size in per_crate.most_common(top):
        print(f"{crate:<32} {size:>10,} {100 * size / code:>13.1f}%")
    rest = sum(size for _, size in per_crate.most_common()[top:])
    if rest:
        print(f"{'(' + str(len(per_crate) - top) + ' more crates)':<32} {rest:>10,} {100 * rest / code:>13.1f}%")


if __name__ == "__main__":
    main()
