# Shared by scripts/run and scripts/test: install what is missing, then build.
# Debian packages only; idempotent (installs nothing when all are present).
set -euo pipefail

KURA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KURA_BUILD="${KURA_BUILD:-$KURA_ROOT/build}"
# Let ccache share results between clones in different folders (CI builds a fresh clone).
# Precompiled headers are cacheable only with these sloppiness settings.
export CCACHE_BASEDIR="$KURA_ROOT" CCACHE_NOHASHDIR=true CCACHE_SLOPPINESS=pch_defines,time_macros

KURA_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libssl-dev libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev
  # libpq for the PostgreSQL metadata store; the server for the throwaway test cluster (scripts/lib/postgres.sh).
  libpq-dev postgresql
  libboost-dev nlohmann-json3-dev libpugixml-dev python3-botocore
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-cryptography python3-boto3 awscli
  # NBD clients for the tests and image import/export; peers for bench/ (nbdkit, fio, cryptsetup).
  qemu-utils libnbd-bin python3-libnbd nbdkit fio cryptsetup-bin
  # kura encrypt verifies volumes through NBD with libnbd.
  libnbd-dev
)

kura_install_packages() {
  local missing=()
  for p in "${KURA_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  echo "kura: installing ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# kura_build DIR [cmake args...]: configure (once) and build DIR.
kura_build() {
  local dir="$1"
  shift
  local launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$KURA_ROOT" -B "$dir" -G Ninja "${launcher[@]}" "$@" >/dev/null
  ninja -C "$dir" -j "$(nproc)"
}
