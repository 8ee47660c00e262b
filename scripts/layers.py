#!/usr/bin/env python3
"""layers.py BUILD_DIR [--map] - the architecture check: which compiled file
calls which, read from the symbols of the objects of the library (src/) and
of the tool (tool/) in BUILD_DIR.

Fails (exit 1) when a file calls, through any chain, back into a file that
calls it (a circle), or when one folder does so to another. With --map it
also prints the arrows between folders, the picture docs/design.md opens
with. Only defined and undefined symbols count: a call through a function
pointer (an ops table) is an arrow from the file that names the table to
the file that defines it, which is the point of ops tables."""
import collections
import json
import os
import subprocess
import sys


def objects(build):
    """(source path relative to the project, object path) for every object
    of the library (pt_objects, procthread_mpi) and of the tool's folders
    that the build's compile commands name today (a stale object of a
    removed file would draw arrows that are gone)."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(build, 'compile_commands.json')) as f:
        commands = json.load(f)
    for cmd in commands:
        src = os.path.relpath(cmd['file'], top)
        if not src.startswith(('src/', 'tool/')):
            continue
        words = cmd['command'].split()
        if '-o' not in words:
            continue
        obj = os.path.join(cmd['directory'], words[words.index('-o') + 1])
        if os.path.exists(obj):
            yield src, obj


def symbols(obj):
    defined, needed = set(), set()
    out = subprocess.run(['nm', obj], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TDBRV':
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == 'U':
            needed.add(parts[1])
    return defined, needed


def strongly_connected(graph):
    """Tarjan's algorithm, iteratively: the components of more than one
    node are the circles."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def folder(path):
    # The library's folders are its subsystems; the tool's, its parts.
    return os.path.dirname(path)


def main():
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        print('usage: layers.py BUILD_DIR [--map]', file=sys.stderr)
        return 2
    owner, needs = {}, {}
    for src, obj in objects(sys.argv[1]):
        defined, needed = symbols(obj)
        for sym in defined:
            owner[sym] = src
        needs[src] = needed
    if not needs:
        print('layers: no objects in %s; build it first' % sys.argv[1],
              file=sys.stderr)
        return 2
    files = collections.defaultdict(set)
    folders = collections.defaultdict(set)
    for src, needed in needs.items():
        files[src]
        for sym in needed:
            dst = owner.get(sym)
            if dst and dst != src:
                files[src].add(dst)
                if folder(dst) != folder(src):
                    folders[folder(src)].add(folder(dst))
    for f in list(folders.values()):
        for dst in f:
            folders[dst]
    circles = strongly_connected(files) + strongly_connected(folders)
    if '--map' in sys.argv:
        for src in sorted(folders):
            print('%-22s -> %s' % (src, ' '.join(sorted(folders[src])) or
                                   '(leaf)'))
    for comp in circles:
        print('layers: a circle: %s' % ' <-> '.join(comp), file=sys.stderr)
    print('layers: %d files in %d folders, %d circles' %
          (len(files), len(folders), len(circles)), file=sys.stderr)
    return 1 if circles else 0


if __name__ == '__main__':
    sys.exit(main())
