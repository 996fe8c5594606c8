#!/usr/bin/env bash
# Packs the example sites and lays out a vhosts directory for httpd:
#
#   BUILD_DIR/webroots/<site>-<sha256 prefix>.webroot   one immutable file per site version
#   BUILD_DIR/vhosts/www.example.com  -> ../webroots/www.example.com-....webroot
#   BUILD_DIR/vhosts/blog.example.org -> ../webroots/blog.example.org-....webroot
#   BUILD_DIR/vhosts/__default__      -> www.example.com   (unknown hosts get the www site)
#
# Usage: vhosts-example/build.sh [BUILD_DIR]   (default: vhosts-example/build)
# Idempotent: mkroot output is reproducible, so unchanged sites keep their file and their link.
# Links are replaced atomically (ln -s to a temp name, then mv -T over the old one), which is
# exactly how a live server is deployed to: run this while httpd serves BUILD_DIR/vhosts.
set -euo pipefail
EXAMPLE_DIR="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
PROJECT_ROOT="$(dirname "$EXAMPLE_DIR")"
BUILD_DIR="${1:-$EXAMPLE_DIR/build}"
mkdir -p "$BUILD_DIR/webroots" "$BUILD_DIR/vhosts"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"

# Points vhosts/NAME at TARGET atomically; leaves it alone when it already points there.
link_atomically() {
  local name="$1" target="$2" link="$BUILD_DIR/vhosts/$1"
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ]; then
    return 0
  fi
  local tmp="$BUILD_DIR/vhosts/.tmp-$name.$$"
  ln -s "$target" "$tmp"
  mv -T "$tmp" "$link"
  echo "vhosts/$name -> $target"
}

for site_dir in "$EXAMPLE_DIR"/sites/*/; do
  site="$(basename "$site_dir")"
  staging="$BUILD_DIR/webroots/.staging-$site.webroot"
  "$PROJECT_ROOT/scripts/mkroot" "$site_dir" "$staging" >/dev/null
  hash="$(sha256sum "$staging" | cut -c1-12)"
  webroot="$site-$hash.webroot"
  if [ -f "$BUILD_DIR/webroots/$webroot" ]; then
    rm -f "$staging"
  else
    mv -T "$staging" "$BUILD_DIR/webroots/$webroot"
    echo "packed $site -> webroots/$webroot"
  fi
  link_atomically "$site" "../webroots/$webroot"
done
link_atomically __default__ www.example.com
