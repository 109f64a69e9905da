#!/usr/bin/env bash
# What the end-to-end tests (tests/e2e) need beyond the Python packages, installed only when
# missing, quietly:
#   - Debian's chromium (Playwright drives it through executable_path: no `playwright install`)
#     and a colour emoji font, so the cards' emoji render in the screenshots;
#   - the Microsoft 365 Agents Playground, at the version pinned in .ci/package-lock.json, into
#     .ci/node_modules (npm ci).
# Playwright for Python comes with the dev extras (pyproject.toml, constraints.txt).
set -euo pipefail
cd "$(dirname "$0")"

packages=(chromium fonts-noto-color-emoji)
missing=()
for package in "${packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "e2e: installing ${missing[*]} (apt)"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo -n)
  export DEBIAN_FRONTEND=noninteractive
  # A fresh image may have no package lists yet: update only if the first attempt fails.
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

command -v npm >/dev/null || { echo "e2e: Node.js and npm are needed (the Agents Playground)" >&2; exit 1; }
wanted=$(node -p 'require("./package-lock.json").packages["node_modules/@microsoft/m365agentsplayground"].version')
installed=$(node -p 'require("./node_modules/@microsoft/m365agentsplayground/package.json").version' 2>/dev/null || true)
if [[ $wanted != "$installed" ]]; then
  echo "e2e: installing @microsoft/m365agentsplayground $wanted (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
