#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter: python3.13, python3.12, then
# pyenv's 3.13.x / 3.12.x, then python3 if it is new enough. Exit 1 with a
# clear message when there is none.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for cand in python3.13 python3.12; do
  if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then command -v "$cand"; exit 0; fi
done
root=""
if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root 2>/dev/null); fi
[ -n "$root" ] || root="${PYENV_ROOT:-$HOME/.pyenv}"
for dir in $(ls -d "$root"/versions/3.13* "$root"/versions/3.12* 2>/dev/null | sort -rV); do
  for exe in "$dir"/bin/python3.13 "$dir"/bin/python3.12; do
    if [ -x "$exe" ] && ok "$exe"; then echo "$exe"; exit 0; fi
  done
done
if command -v python3 >/dev/null 2>&1 && ok python3; then command -v python3; exit 0; fi
echo "find-python: no Python 3.12 or newer found (tried python3.13, python3.12, pyenv versions under $root, python3)." >&2
echo "find-python: install Python 3.12+ (e.g. 'pyenv install 3.12' or your system's python3.12 package) and retry." >&2
exit 1
