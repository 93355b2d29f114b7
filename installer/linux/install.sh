#!/usr/bin/env bash
# Installs Assistant for the current user, without root: a private Python environment with torch and the
# app, a launcher, a menu entry with its icon, and (when asked) an autostart entry.
# Running it again upgrades in place and keeps the settings. A failed run puts back what it changed.
# Everything it creates is listed in a manifest, which uninstall.sh reads. Run with --help for the options.

set -euo pipefail

usage() {
	cat <<'EOF'
Usage: install.sh [OPTIONS]

Installs Assistant for you alone (no administrator rights needed).

Options:
  --source PATH        install the app from a checkout folder or a .whl file
                       (default: the package "assistant" from the package index)
  --torch cpu|cuda     which build of torch to install (default: cuda when `nvidia-smi -L`
                       lists an NVIDIA GPU, cpu otherwise)
  --torch-spec SPEC    the torch requirement to install (default: "torch")
  --torch-index URL    the package index torch comes from; an empty value uses pip's own
                       configuration (default: https://download.pytorch.org/whl/cpu for the
                       CPU build, pip's configured index (PyPI) for the CUDA build)
  --python PATH        the Python (3.10 or newer) to build the environment with
  --autostart          start Assistant when you log in
  --no-autostart       do not start it when you log in
                       (neither: keep what the previous install chose; off for a first install)
  --fresh              rebuild the Python environment even when upgrading
  --system-deps        install the system packages Assistant needs, with sudo apt-get or dnf
  --yes                download the model after installing, without asking
  --no-model           do not offer to download the model
  -h, --help           show this help

Environment: ASSISTANT_TORCH_SPEC and ASSISTANT_TORCH_INDEX set the torch defaults; PIP_CACHE_DIR
makes pip use (and fill) that cache (by default pip's cache is not used, so no second copy of torch
stays on disk). XDG_DATA_HOME, XDG_CONFIG_HOME and XDG_BIN_HOME move the install as usual.
EOF
}

UNPACKED="Run install.sh from inside the unpacked Assistant folder, as installer/linux/install.sh."
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
RESOURCES=$(cd -- "$SCRIPT_DIR/../.." && pwd)/resources
COMMON=$SCRIPT_DIR/../common.sh
[[ -f $COMMON ]] || { printf '\nError: The installer cannot find %s.\n%s\n' "$COMMON" "$UNPACKED" >&2 && exit 1; }
# shellcheck source-path=SCRIPTDIR/.. source=common.sh
. "$COMMON"

require_home installer
install_options "$@"
case $TORCH_OPTION in
"" | cpu | cuda) ;;
*) fail "--torch must be cpu or cuda, not \"$TORCH_OPTION\"." "Run install.sh --help to see the options." ;;
esac

DATA_HOME=$(xdg_dir "${XDG_DATA_HOME:-}" "$HOME/.local/share")
CONFIG_HOME=$(xdg_dir "${XDG_CONFIG_HOME:-}" "$HOME/.config")
BIN_DIR=$(xdg_dir "${XDG_BIN_HOME:-}" "$HOME/.local/bin")
APP_DIR=$DATA_HOME/assistant
VENV=$APP_DIR/venv
SNAPSHOT=$APP_DIR/venv.previous
MANIFEST=$APP_DIR/install-manifest.txt
UNINSTALLER=$APP_DIR/uninstall.sh
LAUNCHER=$BIN_DIR/assistant
MENU_ENTRY=$DATA_HOME/applications/assistant.desktop
AUTOSTART_ENTRY=$CONFIG_HOME/autostart/assistant.desktop
ICON_PNG=$DATA_HOME/icons/hicolor/256x256/apps/assistant.png
ICON_SVG=$DATA_HOME/icons/hicolor/scalable/apps/assistant.svg
CPU_INDEX=https://download.pytorch.org/whl/cpu
QUIT_HOW="tray menu, Quit"
VENV_ADVICE="Install python3-venv (or run with --system-deps), then run the installer again."
# Hard links cost no space; a plain copy where they cannot be made.
CLONE_FLAGS=-al
COPY_FLAGS=-a

DEBIAN_PACKAGES=(python3-venv espeak-ng libespeak-ng1 libportaudio2 libxcb-cursor0 libxkbcommon-x11-0
	libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
	libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 python3-speechd)
FEDORA_PACKAGES=(python3 espeak-ng portaudio xcb-util-cursor libxkbcommon-x11 xcb-util-wm xcb-util-image
	xcb-util-keysyms xcb-util-renderutil mesa-libEGL mesa-libGL fontconfig dbus-libs python3-speechd)

for resource in "$RESOURCES/assistant.desktop" "$RESOURCES/assistant.png" "$RESOURCES/assistant.svg" \
	"$SCRIPT_DIR/../uninstall.sh"; do
	[[ -f $resource ]] || fail "The installer cannot find $resource." "$UNPACKED"
done

manifest_load
begin_changes

# The Exec key's value for a program path, quoted as the desktop entry specification asks.
desktop_exec() {
	local path=$1
	if [[ ! $path =~ ^[A-Za-z0-9_./+@-]+$ ]]; then
		path=${path//\\/\\\\}
		path=${path//\"/\\\"}
		path=${path//\`/\\\`}
		path=${path//\$/\\\$}
		path="\"$path\""
	fi
	path=${path//\\/\\\\} # string-level escaping of the key's value
	path=${path//%/%%}
	printf '%s' "$path"
}

# Writes the menu entry (from the template) to FILE, with Exec pointing at the launcher; EXTRA lines appended.
write_entry() {
	local file=$1 extra=${2:-} line
	{
		while IFS= read -r line || [[ -n $line ]]; do
			if [[ $line == Exec=* ]]; then
				say "Exec=$(desktop_exec "$LAUNCHER") run"
			else
				say "$line"
			fi
		done <"$RESOURCES/assistant.desktop"
		[[ -z $extra ]] || say "$extra"
	} >"$file"
	if command -v desktop-file-validate >/dev/null 2>&1; then
		desktop-file-validate "$file" ||
			fail "The menu entry the installer wrote is not valid (see above)." "Please report this as a bug."
	fi
}

# ---------------------------------------------------------------------------------------------------------

say "Installing Assistant for $(id -un) into $APP_DIR"

step "Checking the system packages Assistant needs"
MISSING_PACKAGES=()
PACKAGE_TOOL=""
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
	PACKAGE_TOOL=apt-get
	for package in "${DEBIAN_PACKAGES[@]}"; do
		[[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true) == "install ok installed" ]] ||
			MISSING_PACKAGES+=("$package")
	done
elif command -v rpm >/dev/null 2>&1 && command -v dnf >/dev/null 2>&1; then
	PACKAGE_TOOL=dnf
	for package in "${FEDORA_PACKAGES[@]}"; do
		rpm -q "$package" >/dev/null 2>&1 || MISSING_PACKAGES+=("$package")
	done
else
	say "This is neither a Debian/Ubuntu nor a Fedora system, so the installer cannot check the packages."
	say "Assistant needs: Python 3.10+ with venv, espeak-ng, PortAudio, Qt's xcb libraries (xcb-cursor,"
	say "xkbcommon-x11, xcb-icccm, xcb-image, xcb-keysyms, xcb-randr, xcb-render-util, xcb-shape), EGL and GL."
fi
if [[ -n $PACKAGE_TOOL ]]; then
	if [[ ${#MISSING_PACKAGES[@]} -eq 0 ]]; then
		say "All the system packages are installed."
	elif [[ $SYSTEM_DEPS -eq 1 ]]; then
		say "Installing with sudo $PACKAGE_TOOL: ${MISSING_PACKAGES[*]}"
		if [[ $PACKAGE_TOOL == apt-get ]]; then
			{ sudo apt-get update && sudo apt-get install -y "${MISSING_PACKAGES[@]}"; } ||
				fail "Installing the system packages failed." "Install them yourself: sudo apt-get install ${MISSING_PACKAGES[*]}"
		else
			sudo dnf install -y "${MISSING_PACKAGES[@]}" ||
				fail "Installing the system packages failed." "Install them yourself: sudo dnf install ${MISSING_PACKAGES[*]}"
		fi
		for package in "${MISSING_PACKAGES[@]}"; do manifest_add package "$package"; done
	else
		say "Missing: ${MISSING_PACKAGES[*]}"
		say "Assistant may not speak or show its windows without them. Install them with"
		say "    sudo $PACKAGE_TOOL install ${MISSING_PACKAGES[*]}"
		say "or run this installer again with --system-deps."
	fi
fi

step "Finding Python 3.10 or newer"
find_python "Give another one with --python, or install python3-venv (Debian/Ubuntu) and try again." \
	python3 python3.13 python3.12 python3.11 python3.10 ||
	fail "No Python 3.10 or newer with the venv module was found." \
		"Install python3 and python3-venv (sudo apt-get install python3-venv, or --system-deps), then try again."
say_python

step "Choosing the build of torch"
TORCH=$TORCH_OPTION
GPU=""
if [[ -z $TORCH ]] && command -v nvidia-smi >/dev/null 2>&1; then
	mapfile -t SMI_LINES < <(nvidia-smi -L 2>/dev/null || true)
	for line in ${SMI_LINES[@]+"${SMI_LINES[@]}"}; do
		if [[ $line == GPU* ]]; then
			GPU=$line
			break
		fi
	done
fi
if [[ -n $TORCH ]]; then
	say "Using the $TORCH build, as asked."
elif [[ -n $GPU ]]; then
	TORCH=cuda
	say "Found an NVIDIA GPU ($GPU): installing the CUDA build of torch."
else
	TORCH=cpu
	say "No NVIDIA GPU found (nvidia-smi lists none): installing the CPU build of torch."
	say "Descriptions take longer on the CPU. Force a build with --torch cpu or --torch cuda."
fi
if [[ -z $TORCH_INDEX_SET ]]; then
	if [[ $TORCH == cpu ]]; then TORCH_INDEX=$CPU_INDEX; else TORCH_INDEX=""; fi
fi
say "torch requirement: $TORCH_SPEC, from ${TORCH_INDEX:-the package index pip is set up to use}."

if [[ $TORCH == cuda ]]; then check_source "[gpu]"; else check_source ""; fi
restore_interrupted_upgrade

AUTOSTART=${AUTOSTART:-$PREVIOUS_AUTOSTART}
TARGETS=("file $LAUNCHER" "file $MENU_ENTRY" "file $ICON_PNG" "file $ICON_SVG")
[[ $AUTOSTART == no ]] || TARGETS+=("file $AUTOSTART_ENTRY")
check_nothing_in_the_way "${TARGETS[@]}"

prepare_environment
install_torch "$TORCH_SPEC, $TORCH build" \
	"Check the internet connection and the free disk space, then run the installer again (--torch cpu is the smaller download)."
install_app
add_launcher

step "Adding the menu entry and its icon"
put_path file "$RESOURCES/assistant.png" "$ICON_PNG" 644
put_path file "$RESOURCES/assistant.svg" "$ICON_SVG" 644
write_entry "$WORK/menu.desktop"
put_path file "$WORK/menu.desktop" "$MENU_ENTRY" 644
say "Menu entry: $MENU_ENTRY"

if [[ $AUTOSTART == yes ]]; then
	step "Starting Assistant when you log in"
	write_entry "$WORK/autostart.desktop" "X-GNOME-Autostart-enabled=true"
	put_path file "$WORK/autostart.desktop" "$AUTOSTART_ENTRY" 644
	say "Autostart entry: $AUTOSTART_ENTRY (turn it off with --no-autostart)"
else
	step "Not starting Assistant when you log in (turn it on with --autostart)"
	drop_path file "$AUTOSTART_ENTRY"
fi

add_uninstaller
commit_install
check_and_offer_model

say $'\nStart Assistant from your menu, or run "assistant run". To remove it, run'"
    $UNINSTALLER"
