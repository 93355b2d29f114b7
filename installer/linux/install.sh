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

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf 'Note: %s\n' "$*" >&2; }

# fail WHAT TODO: one sentence on what happened, one on what to do; then the EXIT trap puts things back.
REPORTED=0
fail() {
	printf '\nError: %s\n%s\n' "$1" "$2" >&2
	REPORTED=1
	exit 1
}

# An XDG base directory: the variable when it holds an absolute path, else the default.
xdg_dir() {
	if [[ ${1:-} == /* ]]; then printf '%s' "$1"; else printf '%s' "$2"; fi
}

[[ ${HOME:-} == /* ]] || fail "HOME is not set to an absolute folder." "Run the installer from your own login session."

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
RESOURCES=$(cd -- "$SCRIPT_DIR/../.." && pwd)/resources

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

DEBIAN_PACKAGES=(python3-venv espeak-ng libespeak-ng1 libportaudio2 libxcb-cursor0 libxkbcommon-x11-0
	libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
	libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3)
FEDORA_PACKAGES=(python3 espeak-ng portaudio xcb-util-cursor libxkbcommon-x11 xcb-util-wm xcb-util-image
	xcb-util-keysyms xcb-util-renderutil mesa-libEGL mesa-libGL fontconfig dbus-libs)

SOURCE=""
TORCH=""
TORCH_SPEC=${ASSISTANT_TORCH_SPEC:-torch}
TORCH_INDEX_SET=${ASSISTANT_TORCH_INDEX+set}
TORCH_INDEX=${ASSISTANT_TORCH_INDEX-}
PYTHON=""
AUTOSTART=""
FRESH=0
SYSTEM_DEPS=0
MODEL=ask

need_value() {
	[[ $# -ge 2 ]] || fail "The option $1 needs a value." "Run install.sh --help to see the options."
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--source=* | --torch=* | --torch-spec=* | --torch-index=* | --python=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}"
		continue
		;;
	--source) need_value "$@" && SOURCE=$2 && shift ;;
	--torch) need_value "$@" && TORCH=$2 && shift ;;
	--torch-spec) need_value "$@" && TORCH_SPEC=$2 && shift ;;
	--torch-index) need_value "$@" && TORCH_INDEX=$2 && TORCH_INDEX_SET="set" && shift ;;
	--python) need_value "$@" && PYTHON=$2 && shift ;;
	--autostart) AUTOSTART=yes ;;
	--no-autostart) AUTOSTART=no ;;
	--fresh) FRESH=1 ;;
	--system-deps) SYSTEM_DEPS=1 ;;
	--yes) MODEL=yes ;;
	--no-model) MODEL=no ;;
	-h | --help)
		usage
		exit 0
		;;
	*) fail "Unknown option: $1." "Run install.sh --help to see the options." ;;
	esac
	shift
done

case $TORCH in
"" | cpu | cuda) ;;
*) fail "--torch must be cpu or cuda, not \"$TORCH\"." "Run install.sh --help to see the options." ;;
esac
[[ -n $TORCH_SPEC ]] || fail "--torch-spec is empty." "Give a requirement such as torch or 'torch==2.13.0'."
for resource in assistant.desktop assistant.png assistant.svg; do
	[[ -f $RESOURCES/$resource ]] || fail "The installer cannot find $RESOURCES/$resource." \
		"Run install.sh from inside the unpacked Assistant folder, as installer/linux/install.sh."
done
[[ -f $SCRIPT_DIR/uninstall.sh ]] || fail "The installer cannot find $SCRIPT_DIR/uninstall.sh." \
	"Run install.sh from inside the unpacked Assistant folder, as installer/linux/install.sh."

# ---------------------------------------------------------------------------------------------------------
# The manifest (what this installer created, for uninstall.sh) and the undo log (what this run changed).

MANIFEST_LINES=()
PREVIOUS_TORCH=""
PREVIOUS_AUTOSTART=no
# Choices are recorded once the run succeeds, so a stopped run never records what it did not finish.
if [[ -f $MANIFEST ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		case $line in
		"option torch "*) PREVIOUS_TORCH=${line#option torch } ;;
		"option autostart "*) PREVIOUS_AUTOSTART=${line#option autostart } ;;
		"#"* | "") ;;
		*) MANIFEST_LINES+=("$line") ;;
		esac
	done <"$MANIFEST"
fi
MANIFEST_TORCH=$PREVIOUS_TORCH
MANIFEST_AUTOSTART=$PREVIOUS_AUTOSTART

manifest_has() {
	local line
	for line in "${MANIFEST_LINES[@]}"; do [[ $line == "$1 $2" ]] && return 0; done
	return 1
}

manifest_add() {
	manifest_has "$1" "$2" || MANIFEST_LINES+=("$1 $2")
}

manifest_remove() {
	local kept=() line
	for line in "${MANIFEST_LINES[@]}"; do [[ $line == "$1 $2" ]] || kept+=("$line"); done
	MANIFEST_LINES=("${kept[@]}")
}

# Writes the manifest whole (temporary file, then rename) once its folder exists.
manifest_save() {
	[[ -d $APP_DIR ]] || return 0
	if [[ ! -e $MANIFEST ]] && ! undo_has rmfile "$MANIFEST"; then undo_push rmfile "$MANIFEST"; fi
	{
		say "# Written by Assistant's installer; read by its uninstaller. One line per thing it created."
		say "option torch $MANIFEST_TORCH"
		say "option autostart $MANIFEST_AUTOSTART"
		printf '%s\n' "${MANIFEST_LINES[@]}"
	} >"$MANIFEST.tmp"
	mv -f -- "$MANIFEST.tmp" "$MANIFEST"
}

UNDO=()
SEP=$'\x1f'
COMMITTED=0
WORK=""
BACKUPS=0

undo_push() { UNDO+=("$1$SEP${2:-}$SEP${3:-}"); }

undo_has() {
	local entry
	for entry in "${UNDO[@]}"; do [[ $entry == "$1$SEP$2$SEP" ]] && return 0; done
	return 1
}

rollback() {
	set +e
	local i op a b
	[[ ${#UNDO[@]} -gt 0 ]] || return 0
	printf '\n==> Putting back what this run changed\n' >&2
	for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do
		IFS=$SEP read -r op a b <<<"${UNDO[i]}"
		case $op in
		rmfile) rm -f -- "$a" ;;
		rmdir) rmdir -- "$a" 2>/dev/null ;;
		mkdir) mkdir -- "$a" ;;
		rmtree) rm -rf -- "$a" ;;
		restore) mv -f -- "$a" "$b" ;;
		venv)
			rm -rf -- "$VENV"
			mv -- "$SNAPSHOT" "$VENV"
			;;
		esac
	done
	printf 'Your computer is as it was before this run.\n' >&2
}

on_exit() {
	local status=$?
	set +e
	if [[ $status -ne 0 && $COMMITTED -eq 0 ]]; then
		if [[ $REPORTED -eq 0 ]]; then
			printf '\nError: A command failed unexpectedly (its message is above).\n%s\n' \
				"Fix what it names, then run the installer again." >&2
		fi
		rollback
	fi
	[[ -z $WORK ]] || rm -rf -- "$WORK"
	exit "$status"
}
trap on_exit EXIT
trap 'printf "\nStopped.\n" >&2; REPORTED=1; exit 130' INT TERM HUP

WORK=$(mktemp -d "${TMPDIR:-/tmp}/assistant-install.XXXXXX")
if [[ -f $MANIFEST ]]; then
	cp -p -- "$MANIFEST" "$WORK/manifest.before"
	undo_push restore "$WORK/manifest.before" "$MANIFEST"
fi

# Creates a folder and its missing parents, recording each one it creates.
ensure_dir() {
	local dir=$1 missing=()
	while [[ ! -d $dir ]]; do
		missing=("$dir" "${missing[@]}")
		dir=$(dirname -- "$dir")
	done
	for dir in "${missing[@]}"; do
		mkdir -- "$dir"
		undo_push rmdir "$dir"
		manifest_add dir "$dir"
		manifest_save
	done
}

# Puts SRC at DEST with MODE; an existing DEST must be one this installer made, and is backed up first.
put_file() {
	local src=$1 dest=$2 mode=$3
	ensure_dir "$(dirname -- "$dest")"
	if [[ -e $dest || -L $dest ]]; then
		manifest_has file "$dest" || fail "$dest already exists and was not put there by this installer." \
			"Move it somewhere else (or run its own uninstaller), then run install.sh again."
		BACKUPS=$((BACKUPS + 1))
		cp -P -p -- "$dest" "$WORK/backup.$BACKUPS"
		undo_push restore "$WORK/backup.$BACKUPS" "$dest"
		rm -f -- "$dest"
	else
		undo_push rmfile "$dest"
		manifest_add file "$dest"
		manifest_save
	fi
	cp -- "$src" "$dest"
	chmod "$mode" -- "$dest"
}

# Removes DEST if this installer made it (keeping a backup until the run succeeds).
drop_file() {
	local dest=$1
	[[ -e $dest || -L $dest ]] || return 0
	if ! manifest_has file "$dest"; then
		warn "$dest was not put there by this installer, so it stays."
		return 0
	fi
	BACKUPS=$((BACKUPS + 1))
	mv -- "$dest" "$WORK/backup.$BACKUPS"
	undo_push restore "$WORK/backup.$BACKUPS" "$dest"
	manifest_remove file "$dest"
	# Folders this installer made for it go too, once empty.
	local dir
	dir=$(dirname -- "$dest")
	while manifest_has dir "$dir" && rmdir -- "$dir" 2>/dev/null; do
		undo_push mkdir "$dir"
		manifest_remove dir "$dir"
		dir=$(dirname -- "$dir")
	done
	manifest_save
}

# True when a process runs from the private environment (Linux: its command line names the folder).
app_running() {
	local cmdline parts
	for cmdline in /proc/[0-9]*/cmdline; do
		# A builtin, not a subshell: a process that ends mid-scan is simply skipped.
		mapfile -d '' -t parts 2>/dev/null <"$cmdline" || continue
		[[ ${parts[*]-} != *"$VENV/"* ]] || return 0
	done
	return 1
}

# A word quoted for /bin/sh.
sh_quote() {
	local quote="'\\''"
	printf "'%s'" "${1//\'/$quote}"
}

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

pip_in_venv() {
	local args=(--disable-pip-version-check --no-input)
	[[ -n ${PIP_CACHE_DIR:-} ]] || args+=(--no-cache-dir)
	"$VENV/bin/python" -m pip "$1" "${args[@]}" "${@:2}"
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
python_ok() {
	"$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1
}
if [[ -n $PYTHON ]]; then
	python_ok "$PYTHON" || fail "$PYTHON is not Python 3.10 or newer with the venv module." \
		"Give another one with --python, or install python3-venv (Debian/Ubuntu) and try again."
else
	for candidate in python3 python3.13 python3.12 python3.11 python3.10; do
		if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
			PYTHON=$(command -v "$candidate")
			break
		fi
	done
	[[ -n $PYTHON ]] || fail "No Python 3.10 or newer with the venv module was found." \
		"Install python3 and python3-venv (sudo apt-get install python3-venv, or --system-deps), then try again."
fi
say "Using $PYTHON ($("$PYTHON" -c 'import platform; print(platform.python_version())'))."

step "Choosing the build of torch"
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

step "Checking the app to install"
APP_EXTRAS=""
[[ $TORCH == cuda ]] && APP_EXTRAS="[gpu]"
if [[ -z $SOURCE ]]; then
	APP_SPEC="assistant$APP_EXTRAS"
	say "Installing the app from the package index."
elif [[ -d $SOURCE && -f $SOURCE/pyproject.toml ]]; then
	SOURCE=$(cd -- "$SOURCE" && pwd)
	APP_SPEC="$SOURCE$APP_EXTRAS"
	say "Installing the app from the folder $SOURCE."
elif [[ -f $SOURCE && $SOURCE == *.whl ]]; then
	SOURCE=$(cd -- "$(dirname -- "$SOURCE")" && pwd)/$(basename -- "$SOURCE")
	APP_SPEC="$SOURCE$APP_EXTRAS"
	say "Installing the app from the wheel $SOURCE."
else
	fail "--source $SOURCE is neither a folder with pyproject.toml nor a .whl file." \
		"Point --source at the Assistant checkout or at a wheel built from it."
fi

# A run that was stopped hard (power cut, kill -9) may have left the previous environment aside.
rm -rf -- "$SNAPSHOT.partial"
if [[ -d $SNAPSHOT ]]; then
	step "Restoring the environment an interrupted run left aside"
	rm -rf -- "$VENV"
	mv -- "$SNAPSHOT" "$VENV"
fi

step "Checking that nothing is in the way"
AUTOSTART=${AUTOSTART:-$PREVIOUS_AUTOSTART}
TARGETS=("$LAUNCHER" "$MENU_ENTRY" "$ICON_PNG" "$ICON_SVG" "$UNINSTALLER")
[[ $AUTOSTART == no ]] || TARGETS+=("$AUTOSTART_ENTRY")
for target in "${TARGETS[@]}"; do
	if [[ -e $target || -L $target ]] && ! manifest_has file "$target"; then
		fail "$target already exists and was not put there by this installer." \
			"Move it somewhere else (or run its own uninstaller), then run install.sh again."
	fi
done
if [[ -e $VENV ]] && ! manifest_has tree "$VENV"; then
	fail "$VENV already exists and was not put there by this installer." \
		"Move it somewhere else, then run install.sh again."
fi
UPGRADE=0
if [[ -d $VENV ]]; then
	UPGRADE=1
	if app_running; then
		fail "Assistant is running, so it cannot be upgraded now." \
			"Quit it (tray menu, Quit), then run the installer again."
	fi
fi
say "Nothing is in the way."

ensure_dir "$APP_DIR"
manifest_add tree "$VENV"
manifest_save

if [[ $UPGRADE -eq 1 ]]; then
	if [[ $FRESH -eq 1 || $TORCH != "$PREVIOUS_TORCH" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
		step "Setting the current environment aside and building a new one"
		if [[ -z $PREVIOUS_TORCH ]]; then
			say "The previous install did not finish."
		elif [[ $TORCH != "$PREVIOUS_TORCH" ]]; then
			say "The torch build changes from $PREVIOUS_TORCH to $TORCH."
		fi
		mv -- "$VENV" "$SNAPSHOT"
		undo_push venv
		"$PYTHON" -m venv -- "$VENV" || fail "Creating the Python environment failed." \
			"Install python3-venv (or run with --system-deps), then run the installer again."
	else
		step "Upgrading the existing environment in place (a snapshot is kept until this run succeeds)"
		# Hard links cost no space; pip replaces files rather than writing into them, so the snapshot stays intact.
		if ! cp -al -- "$VENV" "$SNAPSHOT.partial" 2>/dev/null; then
			rm -rf -- "$SNAPSHOT.partial"
			cp -a -- "$VENV" "$SNAPSHOT.partial" || {
				rm -rf -- "$SNAPSHOT.partial"
				fail "There is no room to keep a copy of the current environment." \
					"Free some disk space in $APP_DIR, then run the installer again."
			}
		fi
		mv -- "$SNAPSHOT.partial" "$SNAPSHOT"
		undo_push venv
	fi
else
	step "Creating the Python environment in $VENV"
	undo_push rmtree "$VENV"
	"$PYTHON" -m venv -- "$VENV" || fail "Creating the Python environment failed." \
		"Install python3-venv (or run with --system-deps), then run the installer again."
fi

step "Installing torch ($TORCH_SPEC, $TORCH build; this is the big download)"
TORCH_ARGS=()
[[ -z $TORCH_INDEX ]] || TORCH_ARGS+=(--index-url "$TORCH_INDEX")
pip_in_venv install "${TORCH_ARGS[@]}" "$TORCH_SPEC" ||
	fail "Installing torch failed." \
		"Check the internet connection and the free disk space, then run the installer again (--torch cpu is the smaller download)."

step "Installing the app and its libraries"
if [[ -n $SOURCE ]]; then
	APP_ADVICE="Check that --source points at a working checkout or wheel and that the internet connection works, then run the installer again."
else
	APP_ADVICE="Check the internet connection, then run the installer again."
fi
pip_in_venv install --upgrade --upgrade-strategy only-if-needed "$APP_SPEC" ||
	fail "Installing the app failed." "$APP_ADVICE"
if [[ $SOURCE == *.whl ]]; then
	# pip keeps an installed version equal to the wheel's; a rebuilt wheel must still replace it.
	pip_in_venv install --force-reinstall --no-deps "$SOURCE" || fail "Installing the app failed." "$APP_ADVICE"
fi

step "Adding the launcher $LAUNCHER"
printf '#!/bin/sh\n# Starts Assistant from its private environment. Added by its installer; removed by its uninstaller.\nexec %s "$@"\n' \
	"$(sh_quote "$VENV/bin/assistant")" >"$WORK/launcher"
put_file "$WORK/launcher" "$LAUNCHER" 755
"$LAUNCHER" --version || fail "The installed app does not start." \
	"Read the message above; run the installer again with --fresh, and report it if it persists."

step "Adding the menu entry and its icon"
put_file "$RESOURCES/assistant.png" "$ICON_PNG" 644
put_file "$RESOURCES/assistant.svg" "$ICON_SVG" 644
write_entry "$WORK/menu.desktop"
put_file "$WORK/menu.desktop" "$MENU_ENTRY" 644
say "Menu entry: $MENU_ENTRY"

if [[ $AUTOSTART == yes ]]; then
	step "Starting Assistant when you log in"
	write_entry "$WORK/autostart.desktop" "X-GNOME-Autostart-enabled=true"
	put_file "$WORK/autostart.desktop" "$AUTOSTART_ENTRY" 644
	say "Autostart entry: $AUTOSTART_ENTRY (turn it off with --no-autostart)"
else
	step "Not starting Assistant when you log in (turn it on with --autostart)"
	drop_file "$AUTOSTART_ENTRY"
fi

step "Adding the uninstaller $UNINSTALLER"
put_file "$SCRIPT_DIR/uninstall.sh" "$UNINSTALLER" 755

# Done: the new state is final from here on.
MANIFEST_TORCH=$TORCH
MANIFEST_AUTOSTART=$AUTOSTART
manifest_save
[[ ! -d $SNAPSHOT ]] || rm -rf -- "$SNAPSHOT"
COMMITTED=1

if [[ $UPGRADE -eq 1 ]]; then say $'\nAssistant is upgraded; your settings are kept.'; else say $'\nAssistant is installed.'; fi
case ":$PATH:" in
*":$BIN_DIR:"*) ;;
*) say "Note: $BIN_DIR is not on your PATH yet; the menu entry works anyway, and most systems add it at your next login." ;;
esac

step "Checking what this computer can do (assistant doctor)"
"$LAUNCHER" doctor || say "The checks above name what to fix; Assistant itself is installed."

if [[ $MODEL == ask ]]; then
	if [[ -t 0 ]]; then
		printf '\nAssistant needs its model (several GB) before it can describe anything.\n'
		read -r -p "Download it now? [Y/n] " answer || answer=n
		case $answer in [nN]*) MODEL=no ;; *) MODEL=yes ;; esac
	else
		MODEL=no
	fi
fi
if [[ $MODEL == yes ]]; then
	step "Downloading the model (assistant models download)"
	"$LAUNCHER" models download ||
		say "The download did not finish; run \"assistant models download\" later to try again."
else
	say $'\nThe model is not downloaded now; run "assistant models download" before first use.'
fi

say $'\nStart Assistant from your menu, or run "assistant run". To remove it, run'"
    $UNINSTALLER"
