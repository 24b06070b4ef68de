#!/usr/bin/env python3
"""Checks the shape of the workspace's module graph and source files.

1. No import circles: inside each crate, a module (one source file) may not import a
   module that imports it back, directly or around a loop. An import is a `use` line or
   an inline `crate::…`, `super::…` or `self::…` path; a name re-exported by another
   module (for example by the crate root's `pub use`) counts as an import of the module
   that defines it. The crate root (`lib.rs`, `main.rs`) is the crate's facade and is
   left out. Test code (`#[cfg(test)] mod tests`, `tests/`, `benches/`) is left out.
2. No source file outside tests over MAX_LINES lines.

Usage: scripts/check-module-graph.py [--graph] [CRATE_DIR …]   (default: every workspace
member). Exit 0 when both hold, 1 with every circle and long file listed.
"""

import re
import sys
from pathlib import Path

MAX_LINES = 450
ROOT = Path(__file__).resolve().parent.parent
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
INLINE_PATH = re.compile(rf"\b(?:crate|super|self)(?:::{IDENT})+")
USE_START = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s")
MOD_DECL = re.compile(rf"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+({IDENT})\s*;")


def workspace_members():
    text = (ROOT / "Cargo.toml").read_text()
    block = re.search(r"members\s*=\s*\[([^\]]*)\]", text)
    return [ROOT / m for m in re.findall(r'"([^"]+)"', block.group(1))] if block else []


def strip_comments(line):
    # Good enough for this code base: no `//` inside the string literals of `use` lines.
    return line.split("//", 1)[0]


def source_lines(path):
    """The file's lines up to its inline test module."""
    lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.strip() == "#[cfg(test)]" and i + 1 < len(lines) and re.match(
            r"^\s*mod\s+tests\s*\{", lines[i + 1]
        ):
            break
        out.append(strip_comments(line))
    return out


def expand(tree):
    """`a::{b, c::{d, e}}` into ['a::b', 'a::c::d', 'a::c::e'] (aliases dropped)."""
    tree = re.sub(r"\s+", "", tree)  # aliases (`as x`) are gone already
    brace = tree.find("{")
    if brace < 0:
        return [tree] if tree else []
    prefix, body = tree[:brace], tree[brace + 1 : tree.rfind("}")]
    parts, depth, current = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    parts.append(current)
    return [p for part in parts if part for p in expand(prefix + part)]


def use_statements(lines):
    """(is_pub, [path, …]) for each `use` statement."""
    statements, buffer, is_pub = [], None, False
    for line in lines:
        if buffer is None:
            match = USE_START.match(line)
            if not match:
                continue
            is_pub = bool(match.group(1))
            buffer = line[match.end() :]
        else:
            buffer += " " + line
        if ";" in buffer:
            body = buffer.split(";", 1)[0]
            body = re.sub(r"\bas\s+" + IDENT, "", body)
            statements.append((is_pub, expand(body)))
            buffer = None
    return statements


class Crate:
    def __init__(self, directory):
        self.dir = directory
        self.modules = {}  # tuple path -> file
        src = directory / "src"
        for file in sorted(src.rglob("*.rs")):
            rel = file.relative_to(src).with_suffix("")
            parts = tuple(rel.parts)
            if parts in (("lib",), ("main",)):
                parts = ()
            elif parts and parts[-1] == "mod":
                parts = parts[:-1]
            if parts[:1] == ("bin",):
                continue
            if parts in self.modules and parts != ():
                continue
            if parts == () and ("lib",) != tuple(rel.parts) and () in self.modules:
                continue  # lib.rs wins over main.rs as the root
            self.modules[parts] = file
        self.lines = {m: source_lines(f) for m, f in self.modules.items()}
        self.children = {m: set() for m in self.modules}
        for m in self.modules:
            if m:
                parent = m[:-1]
                if parent in self.children:
                    self.children[parent].add(m[-1])
        self.reexports = {m: self._reexports(m) for m in self.modules}

    def _reexports(self, module):
        names = {}
        for is_pub, paths in use_statements(self.lines[module]):
            if not is_pub:
                continue
            for path in paths:
                segments = path.split("::")
                if segments and segments[-1] != "*":
                    names[segments[-1]] = (module, segments)
        return names

    def resolve(self, module, segments, depth=0):
        """The module a path names (following re-exports), or None outside the crate."""
        if depth > 8 or not segments:
            return None
        head, rest = segments[0], list(segments[1:])
        if head == "crate":
            base = ()
        elif head == "self":
            base = module
        elif head == "super":
            base = module[:-1]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        elif head in self.children.get(module, ()):
            base, rest = module + (head,), rest
        else:
            return None  # another crate or std
        current = base
        while rest and current + (rest[0],) in self.modules:
            current, rest = current + (rest[0],), rest[1:]
        if rest and rest[0] in self.reexports.get(current, {}):
            owner, target = self.reexports[current][rest[0]]
            if target != list(segments):
                found = self.resolve(owner, target, depth + 1)
                if found is not None:
                    return found
        return current

    def edges(self):
        graph = {m: set() for m in self.modules if m}
        for module in graph:
            paths = [p.split("::") for _, ps in use_statements(self.lines[module]) for p in ps]
            children = self.children.get(module, set())
            child_path = (
                re.compile(rf"(?<![A-Za-z0-9_:])(?:{'|'.join(sorted(children))})(?:::{IDENT})+")
                if children
                else None
            )
            for line in self.lines[module]:
                if USE_START.match(line):
                    continue
                paths.extend(m.group(0).split("::") for m in INLINE_PATH.finditer(line))
                # A call through a child module's name (`grant::grant(…)`) imports it too.
                if child_path:
                    paths.extend(m.group(0).split("::") for m in child_path.finditer(line))
            for segments in paths:
                target = self.resolve(module, segments)
                if target and target != module and target in graph:
                    graph[module].add(target)
        return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def name(crate, module):
    return f"{crate.dir.name}::{'::'.join(module)}"


def main(argv):
    show_graph = "--graph" in argv
    dirs = [Path(a).resolve() for a in argv if not a.startswith("--")] or workspace_members()
    missing = [d for d in dirs if not (d / "src").is_dir()]
    if missing:
        print("check-module-graph: not a crate folder: " + ", ".join(map(str, missing)))
        return 2
    problems = 0
    for directory in dirs:
        crate = Crate(directory)
        graph = crate.edges()
        if show_graph:
            for module in sorted(graph):
                targets = ", ".join(name(crate, t) for t in sorted(graph[module]))
                print(f"{name(crate, module)} -> {targets or '-'}")
        for component in cycles(graph):
            problems += 1
            members = set(component)
            print(f"import circle in {directory.name}:")
            for module in component:
                back = sorted(t for t in graph[module] if t in members)
                print(f"  {crate.modules[module].relative_to(ROOT)} -> "
                      + ", ".join(str(crate.modules[t].relative_to(ROOT)) for t in back))
        for module, file in sorted(crate.modules.items()):
            count = len(file.read_text().splitlines())
            if count > MAX_LINES:
                problems += 1
                print(f"{file.relative_to(ROOT)}: {count} lines (at most {MAX_LINES} outside tests)")
    if problems:
        print(f"check-module-graph: {problems} problem(s)")
        return 1
    print(f"check-module-graph: no import circle, no source file over {MAX_LINES} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
