# Shared by the launchers: locate the project and a JDK 25, build jars on first use.
# Sourced, not executed.

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The feature version of the JDK at $1: from its release file when it has one (no JVM start-up).
jdk_major() {
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
  fi
}

# Sets JAVA_HOME to a JDK 25 or newer: the current JAVA_HOME, the java on PATH, or one under /usr/lib/jvm.
find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    local major
    major="$(jdk_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "error: no JDK 25 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
  return 1
}

# Builds MODULE's jar (and what it depends on) when it is missing.
ensure_jar() {
  local module="$1" jar="$2"
  if [ ! -f "$jar" ]; then
    echo "building $module (first use)..." >&2
    (cd "$PROJECT_ROOT" && ./mvnw -q -B -DskipTests -pl "$module" -am package) >&2 || {
      echo "error: building $module failed" >&2
      return 1
    }
  fi
}

# The JVM decodes file names with the locale's charset; site trees are UTF-8.
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
  *[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) ;;
  *) export LC_ALL=C.UTF-8 ;;
esac
