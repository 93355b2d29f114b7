#!/bin/bash
# Prepares a real Orca for tests/e2e/test_real_orca_e2e.py on Debian 12 (whose own Orca, 43, has no D-Bus
# service): Debian's Orca 51 package from trixie-backports, downloaded with a private apt configuration
# and unpacked into DIR (not installed: the system's packages are left as they are), the Debian 12
# packages it imports, and its settings schema compiled into DIR/schemas.
#
#     tests/speech/real_orca/setup.sh DIR
#     ASSISTANT_REAL_ORCA=DIR python3 dev.py test tests/e2e/test_real_orca_e2e.py
set -euo pipefail
DIR=$(realpath -m "${1:?usage: setup.sh DIR}")
VERSION=${ORCA_VERSION:-51.2-1~bpo13+1}
mkdir -p "$DIR/apt/lists/partial" "$DIR/apt/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main" \
  > "$DIR/apt/sources.list"
private_apt() {
  apt-get -o Dir::Etc::sourcelist="$DIR/apt/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::Lists="$DIR/apt/lists" -o Dir::Cache="$DIR/apt/cache" "$@"
}
if [[ ! -e "$DIR/root/usr/bin/orca" ]]; then
  private_apt update
  (cd "$DIR/apt/cache" && private_apt download "orca=$VERSION")
  dpkg -x "$DIR/apt/cache/orca_${VERSION}_all.deb" "$DIR/root"
fi
# What Orca imports, from Debian 12 itself.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-dasbus python3-setproctitle \
  python3-psutil python3-gi gir1.2-atspi-2.0 gir1.2-gtk-3.0 gir1.2-wnck-3.0 python3-cairo python3-babel \
  python3-dbus gir1.2-pango-1.0 gir1.2-gstreamer-1.0 python3-louis python3-brlapi python3-speechd \
  gsettings-desktop-schemas at-spi2-core
mkdir -p "$DIR/schemas"
cp "$DIR/root/usr/share/glib-2.0/schemas/org.gnome.Orca.gschema.xml" "$DIR/schemas/"
glib-compile-schemas "$DIR/schemas"
/usr/bin/python3 "$(dirname "$0")/launch.py" "$DIR" --version
