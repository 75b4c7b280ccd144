"""Code size of a wasm module by crate, from its name section (BENCHMARKS.md).

Usage: python3 end2end/wasm-breakdown.py <module.wasm> [rows]

Run it on the module rustc writes
(target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm): wasm-opt
drops the names. Each function counts for the first crate of its symbol
path, or for the trait's crate of a `<T as Trait>` impl, so generic code
counts where it is defined, not where it is instantiated.
"""
import collections
import re
import sys

CODE, IMPORT, CUSTOM = 10, 2, 0
FUNCTION_NAMES = 1  # subsection of the "name" custom section


def leb128(data, i):
    """An unsigned LEB128 number at `i`, and the offset after it."""
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def sections(data):
    """(id, offset, size) of each section after the 8-byte header."""
    i = 8
    while i < len(data):
        sid = data[i]
        size, i = leb128(data, i + 1)
        yield sid, i, size
        i += size


def skip_limits(data, j):
    flags, j = leb128(data, j)
    _, j = leb128(data, j)
    return leb128(data, j)[1] if flags & 1 else j


def imported_functions(data, off):
    """How many imports are functions: they come first in the index space."""
    count, j = leb128(data, off)
    functions = 0
    for _ in range(count):
        for _name in range(2):  # module, field
            n, j = leb128(data, j)
            j += n
        kind = data[j]
        j += 1
        if kind == 0:  # function: type index
            _, j = leb128(data, j)
            functions += 1
        elif kind == 1:  # table: reftype, limits
            j = skip_limits(data, j + 1)
        elif kind == 2:  # memory: limits
            j = skip_limits(data, j)
        elif kind == 3:  # global: valtype, mutability
            j += 2
    return functions


def body_sizes(data, off):
    count, j = leb128(data, off)
    sizes = []
    for _ in range(count):
        n, after = leb128(data, j)
        sizes.append(n + (after - j))
        j = after + n
    return sizes


def function_names(data, off, size):
    """{function index: name} from the "name" section, or {} without one."""
    n, j = leb128(data, off)
    if data[j:j + n] != b"name":
        return {}
    j += n
    names = {}
    while j < off + size:
        sub = data[j]
        sub_size, j = leb128(data, j + 1)
        if sub == FUNCTION_NAMES:
            count, k = leb128(data, j)
            for _ in range(count):
                index, k = leb128(data, k)
                n, k = leb128(data, k)
                names[index] = data[k:k + n].decode("utf8", "replace")
                k += n
        j += sub_size
    return names


def crate_of(symbol):
    """The crate a (legacy-mangled) Rust symbol belongs to."""
    if symbol.startswith("_ZN"):
        digits = re.match(r"_ZN(\d+)", symbol).group(1)
        start = 3 + len(digits)
        first = symbol[start:start + int(digits)]
        if "$LT$" in first[:5]:  # <T as Trait>::f or <T>::f
            trait = re.search(r"\$u20\$as\$u20\$(\w+)", first)
            own = re.search(r"\$LT\$(?:\$RF\$)?(?:mut\$u20\$)?(\w+)", first)
            found = trait or own
            return found.group(1) if found else "?"
        return first
    if symbol.startswith("_R"):
        return "(v0-mangled symbols)"
    if symbol.startswith(("__wbindgen", "__wbg")):
        return "(wasm-bindgen glue)"
    word = re.match(r"<?(\w+)", symbol)
    return word.group(1) if word else "(unnamed)"


def main(path, rows):
    data = open(path, "rb").read()
    imports, sizes, names = 0, [], {}
    for sid, off, size in sections(data):
        if sid == IMPORT:
            imports = imported_functions(data, off)
        elif sid == CODE:
            sizes = body_sizes(data, off)
        elif sid == CUSTOM:
            names = names or function_names(data, off, size)
    if not names:
        sys.exit(f"{path} has no function names: use the module before wasm-opt")
    by_crate = collections.Counter()
    for k, size in enumerate(sizes):
        by_crate[crate_of(names.get(imports + k, ""))] += size
    total = sum(sizes)
    print(f"{path}: {len(data):,} B, code {total:,} B in {len(sizes):,} functions")
    for crate, size in by_crate.most_common(rows):
        print(f"{size:>10,}  {100 * size / total:5.1f}%  {crate}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
