#!/bin/bash
# valgrind.sh - the exe_wrapper of `meson test --setup valgrind`. A test program (the Check unit tests)
# runs under memcheck, not forked (CK_FORK=no), so a leak or an invalid access fails it; a test script (the
# integration tests) runs as it is, with WSTUNED_WRAPPER set: the sandbox then starts the daemon under
# memcheck and, at the end of the test, stops it and fails on any report (tests/integration/preamble.sh).
# Leaks of libraries' one-time allocations that live until exit are "still reachable", not reported.
set -u
here=$(cd "$(dirname "$0")" && pwd)
memcheck=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
          --errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30
          --suppressions="$here/valgrind.supp")
if [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        # WSTUNED_MEMCHECK: for the few checks memcheck's emulation makes meaningless (RLIMIT_NOFILE)
        CK_FORK=no WSTUNED_MEMCHECK=1 exec "${memcheck[@]}" "$@"
fi
WSTUNED_WRAPPER="${memcheck[*]}" exec "$@"
