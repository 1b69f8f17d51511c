#!/usr/bin/env bash
# Builds the stand-ins for postgres:16, redis:7 and caddy:2 (deploy/test/Containerfile.services)
# on a Debian root file system made by mmdebstrap, since this machine cannot pull images.
# The root file system is kept in target/deploy-test/ (inside the repository) under a name
# that changes with the package list, so a second run imports it instead of downloading.
# Prints the tag to use: localhost/saoma-test-{postgres,redis,caddy}:<tag>.
set -euo pipefail
cd "$(dirname "$0")/../.."
podman=(podman --runtime runc)

PACKAGES="postgresql-15,redis-server,caddy,wget"
tag=$(printf '%s\n' "$PACKAGES" | cat - deploy/test/Containerfile.services deploy/test/postgres-entrypoint.sh | sha256sum | cut -c1-12)
dir=target/deploy-test
rootfs="$dir/services-rootfs-$tag.tar"
mkdir -p "$dir"
if [ ! -s "$rootfs" ]; then
  echo "==> deploy: mmdebstrap bookworm + $PACKAGES" >&2
  mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --format=tar bookworm "$rootfs.part" >&2
  mv "$rootfs.part" "$rootfs"
fi
"${podman[@]}" import --quiet "$rootfs" "localhost/saoma-test-base:$tag" >/dev/null
for service in postgres redis caddy; do
  "${podman[@]}" build --quiet --format docker --target "$service" \
    --build-arg BASE="localhost/saoma-test-base:$tag" \
    -f deploy/test/Containerfile.services -t "localhost/saoma-test-$service:$tag" . >/dev/null
done
echo "$tag"
