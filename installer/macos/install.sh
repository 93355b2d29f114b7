#!/usr/bin/env bash
# Installs Assistant for the current macOS user, without administrator rights: a private Python environment
# with torch and the app, ~/Applications/Assistant.app that starts the tray app, a command-line launcher,
# and (when asked) a LaunchAgent that starts it at login. Running it again upgrades in place and keeps the
# settings; a failed run puts back what it changed. Everything it creates is listed in a manifest that
# uninstall.sh reads. Written for macOS's own bash 3.2 (no empty-array expansions under set -u).
# The same design as installer/linux/install.sh; see installer/README.md for what was tested where.

set -euo pipefail

usage() {
	cat <<'EOF'
Usage: install.sh [OPTIONS]

Installs Assistant for you alone (no administrator rights needed).

Options:
  --source PATH        install the app from a checkout folder or a .whl file
                       (default: the package "assistant" from the package index)
  --torch-spec SPEC    the torch requirement to install (default: "torch"; PyPI's macOS build
                       uses the Apple GPU where there is one)
  --torch-index URL    the package index torch comes from (default: pip's configured index)
  --python PATH        the Python (3.10 or newer) to build the environment with
  --autostart          start Assistant when you log in (a LaunchAgent)
  --no-autostart       do not start it when you log in
                       (neither: keep what the previous install chose; off for a first install)
  --fresh              rebuild the Python environment even when upgrading
  --system-deps        install Python with Homebrew when no suitable one is found
  --yes                download the model after installing, without asking
  --no-model           do not offer to download the model
  -h, --help           show this help

Environment: ASSISTANT_TORCH_SPEC and ASSISTANT_TORCH_INDEX set the torch defaults; PIP_CACHE_DIR
makes pip use (and fill) that cache (by default pip's cache is not used).
EOF
}

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf 'Note: %s\n' "$*" >&2; }
REPORTED=0
fail() {
	printf '\nError: %s\n%s\n' "$1" "$2" >&2
	REPORTED=1
	exit 1
}

[[ ${HOME:-} == /* ]] || fail "HOME is not set to an absolute folder." "Run the installer from your own login session."

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

APP_DIR="$HOME/Library/Application Support/assistant"
VENV=$APP_DIR/venv
SNAPSHOT=$APP_DIR/venv.previous
MANIFEST=$APP_DIR/install-manifest.txt
UNINSTALLER=$APP_DIR/uninstall.sh
BIN_DIR=$HOME/.local/bin
LAUNCHER=$BIN_DIR/assistant
BUNDLE=$HOME/Applications/Assistant.app
AGENT_LABEL=org.assistant.app
AGENT=$HOME/Library/LaunchAgents/$AGENT_LABEL.plist

SOURCE=""
TORCH_SPEC=${ASSISTANT_TORCH_SPEC:-torch}
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
	--source=* | --torch-spec=* | --torch-index=* | --python=* | --torch=*)
		set -- "${1%%=*}" "${1#*=}" "${@:2}"
		continue
		;;
	--source) need_value "$@" && SOURCE=$2 && shift ;;
	--torch)
		need_value "$@"
		[[ $2 == cpu ]] || fail "Only the one macOS build of torch exists (--torch $2 is not available)." \
			"Leave out --torch; on Apple silicon it uses the GPU by itself."
		shift
		;;
	--torch-spec) need_value "$@" && TORCH_SPEC=$2 && shift ;;
	--torch-index) need_value "$@" && TORCH_INDEX=$2 && shift ;;
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

[[ $(uname -s) == Darwin ]] || fail "This installer is for macOS." "On Linux run installer/linux/install.sh."
[[ -n $TORCH_SPEC ]] || fail "--torch-spec is empty." "Give a requirement such as torch or 'torch==2.13.0'."
for resource in "$SCRIPT_DIR/Assistant.icns" "$SCRIPT_DIR/uninstall.sh"; do
	[[ -f $resource ]] || fail "The installer cannot find $resource." \
		"Run install.sh from inside the unpacked Assistant folder, as installer/macos/install.sh."
done

# ---------------------------------------------------------------------------------------------------------
# The manifest (what this installer created, for uninstall.sh) and the undo log (what this run changed).

MANIFEST_LINES=()
PREVIOUS_TORCH=""
PREVIOUS_AUTOSTART=no
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
# Choices are recorded once the run succeeds, so a stopped run never records what it did not finish.
MANIFEST_TORCH=$PREVIOUS_TORCH
MANIFEST_AUTOSTART=$PREVIOUS_AUTOSTART

manifest_has() {
	local line
	for line in ${MANIFEST_LINES[@]+"${MANIFEST_LINES[@]}"}; do [[ $line == "$1 $2" ]] && return 0; done
	return 1
}

manifest_add() {
	manifest_has "$1" "$2" || MANIFEST_LINES+=("$1 $2")
}

manifest_remove() {
	local kept=() line
	for line in ${MANIFEST_LINES[@]+"${MANIFEST_LINES[@]}"}; do [[ $line == "$1 $2" ]] || kept+=("$line"); done
	MANIFEST_LINES=(${kept[@]+"${kept[@]}"})
}

manifest_save() {
	[[ -d $APP_DIR ]] || return 0
	if [[ ! -e $MANIFEST ]] && ! undo_has rmfile "$MANIFEST"; then undo_push rmfile "$MANIFEST"; fi
	{
		say "# Written by Assistant's installer; read by its uninstaller. One line per thing it created."
		say "option torch $MANIFEST_TORCH"
		say "option autostart $MANIFEST_AUTOSTART"
		for line in ${MANIFEST_LINES[@]+"${MANIFEST_LINES[@]}"}; do say "$line"; done
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
	for entry in ${UNDO[@]+"${UNDO[@]}"}; do [[ $entry == "$1$SEP$2$SEP" ]] && return 0; done
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
		restore)
			rm -rf -- "$b"
			mv -f -- "$a" "$b"
			;;
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

ensure_dir() {
	local dir=$1 missing=() i
	while [[ ! -d $dir ]]; do
		missing+=("$dir")
		dir=$(dirname -- "$dir")
	done
	for ((i = ${#missing[@]} - 1; i >= 0; i--)); do
		mkdir -- "${missing[i]}"
		undo_push rmdir "${missing[i]}"
		manifest_add dir "${missing[i]}"
		manifest_save
	done
}

# Puts SRC (a file, or with KIND "bundle" a folder) at DEST; an existing DEST must be one this installer made.
put_path() {
	local kind=$1 src=$2 dest=$3
	ensure_dir "$(dirname -- "$dest")"
	if [[ -e $dest || -L $dest ]]; then
		manifest_has "$kind" "$dest" || fail "$dest already exists and was not put there by this installer." \
			"Move it somewhere else (or run its own uninstaller), then run install.sh again."
		BACKUPS=$((BACKUPS + 1))
		mv -- "$dest" "$WORK/backup.$BACKUPS"
		undo_push restore "$WORK/backup.$BACKUPS" "$dest"
	else
		undo_push rmtree "$dest"
		manifest_add "$kind" "$dest"
		manifest_save
	fi
	cp -R -- "$src" "$dest"
}

drop_path() {
	local kind=$1 dest=$2 dir
	[[ -e $dest || -L $dest ]] || return 0
	if ! manifest_has "$kind" "$dest"; then
		warn "$dest was not put there by this installer, so it stays."
		return 0
	fi
	BACKUPS=$((BACKUPS + 1))
	mv -- "$dest" "$WORK/backup.$BACKUPS"
	undo_push restore "$WORK/backup.$BACKUPS" "$dest"
	manifest_remove "$kind" "$dest"
	dir=$(dirname -- "$dest")
	while manifest_has dir "$dir" && rmdir -- "$dir" 2>/dev/null; do
		undo_push mkdir "$dir"
		manifest_remove dir "$dir"
		dir=$(dirname -- "$dir")
	done
	manifest_save
}

app_running() {
	local processes
	processes=$(ps -axo command= 2>/dev/null) || return 1
	[[ $processes == *"$VENV/"* ]]
}

sh_quote() {
	local quote="'\\''"
	printf "'%s'" "${1//\'/$quote}"
}

xml_escape() {
	local s=$1
	s=${s//&/&amp;}
	s=${s//</&lt;}
	s=${s//>/&gt;}
	printf '%s' "$s"
}

pip_in_venv() {
	local args=(--disable-pip-version-check --no-input)
	[[ -n ${PIP_CACHE_DIR:-} ]] || args+=(--no-cache-dir)
	"$VENV/bin/python" -m pip "$1" "${args[@]}" "${@:2}"
}

# ---------------------------------------------------------------------------------------------------------

say "Installing Assistant for $(id -un) into $APP_DIR"

step "Finding Python 3.10 or newer"
python_ok() {
	"$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1
}
if [[ -n $PYTHON ]]; then
	python_ok "$PYTHON" || fail "$PYTHON is not Python 3.10 or newer with the venv module." \
		"Give another one with --python, or install Python from python.org, then try again."
else
	for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
		if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
			PYTHON=$(command -v "$candidate")
			break
		fi
	done
	if [[ -z $PYTHON && $SYSTEM_DEPS -eq 1 ]] && command -v brew >/dev/null 2>&1; then
		say "Installing Python 3.12 with Homebrew."
		brew install python@3.12 || fail "Homebrew could not install Python." "Install Python 3.12 from python.org, then try again."
		PYTHON=$(brew --prefix python@3.12)/bin/python3.12
	fi
	[[ -n $PYTHON ]] || fail "No Python 3.10 or newer was found (the one macOS ships is older)." \
		"Install Python 3.12 from python.org (or run with --system-deps to use Homebrew), then try again."
fi
say "Using $PYTHON ($("$PYTHON" -c 'import platform; print(platform.python_version())'))."

step "Choosing the build of torch"
TORCH=macos
if [[ $(uname -m) == arm64 ]]; then
	say "Apple silicon: torch runs the model on its GPU (MPS)."
else
	say "An Intel Mac: torch runs the model on the processor; descriptions take longer."
fi
say "torch requirement: $TORCH_SPEC, from ${TORCH_INDEX:-the package index pip is set up to use}."

step "Checking the app to install"
if [[ -z $SOURCE ]]; then
	APP_SPEC=assistant
	say "Installing the app from the package index."
elif [[ -d $SOURCE && -f $SOURCE/pyproject.toml ]]; then
	SOURCE=$(cd -- "$SOURCE" && pwd)
	APP_SPEC=$SOURCE
	say "Installing the app from the folder $SOURCE."
elif [[ -f $SOURCE && $SOURCE == *.whl ]]; then
	SOURCE=$(cd -- "$(dirname -- "$SOURCE")" && pwd)/$(basename -- "$SOURCE")
	APP_SPEC=$SOURCE
	say "Installing the app from the wheel $SOURCE."
else
	fail "--source $SOURCE is neither a folder with pyproject.toml nor a .whl file." \
		"Point --source at the Assistant checkout or at a wheel built from it."
fi

rm -rf -- "$SNAPSHOT.partial"
if [[ -d $SNAPSHOT ]]; then
	step "Restoring the environment an interrupted run left aside"
	rm -rf -- "$VENV"
	mv -- "$SNAPSHOT" "$VENV"
fi

step "Checking that nothing is in the way"
AUTOSTART=${AUTOSTART:-$PREVIOUS_AUTOSTART}
for target in "file $LAUNCHER" "file $UNINSTALLER" "bundle $BUNDLE" "file $AGENT"; do
	[[ $AUTOSTART == yes || $target != "file $AGENT" ]] || continue
	path=${target#* }
	if [[ -e $path || -L $path ]] && ! manifest_has "${target%% *}" "$path"; then
		fail "$path already exists and was not put there by this installer." \
			"Move it somewhere else (or run its own uninstaller), then run install.sh again."
	fi
done
if [[ -e $VENV ]] && ! manifest_has tree "$VENV"; then
	fail "$VENV already exists and was not put there by this installer." "Move it somewhere else, then run install.sh again."
fi
UPGRADE=0
if [[ -d $VENV ]]; then
	UPGRADE=1
	app_running && fail "Assistant is running, so it cannot be upgraded now." \
		"Quit it (menu bar icon, Quit), then run the installer again."
fi
say "Nothing is in the way."

ensure_dir "$APP_DIR"
manifest_add tree "$VENV"
manifest_save

if [[ $UPGRADE -eq 1 ]]; then
	if [[ $FRESH -eq 1 || $TORCH != "$PREVIOUS_TORCH" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
		step "Setting the current environment aside and building a new one"
		[[ -n $PREVIOUS_TORCH ]] || say "The previous install did not finish."
		mv -- "$VENV" "$SNAPSHOT"
		undo_push venv
		"$PYTHON" -m venv -- "$VENV" || fail "Creating the Python environment failed." \
			"Reinstall Python from python.org, then run the installer again."
	else
		step "Upgrading the existing environment in place (a snapshot is kept until this run succeeds)"
		# APFS clones cost no space; plain copies where the disk cannot clone.
		if ! cp -Rpc -- "$VENV" "$SNAPSHOT.partial" 2>/dev/null; then
			rm -rf -- "$SNAPSHOT.partial"
			cp -Rp -- "$VENV" "$SNAPSHOT.partial" || {
				rm -rf -- "$SNAPSHOT.partial"
				fail "There is no room to keep a copy of the current environment." \
					"Free some disk space, then run the installer again."
			}
		fi
		mv -- "$SNAPSHOT.partial" "$SNAPSHOT"
		undo_push venv
	fi
else
	step "Creating the Python environment in $VENV"
	undo_push rmtree "$VENV"
	"$PYTHON" -m venv -- "$VENV" || fail "Creating the Python environment failed." \
		"Reinstall Python from python.org, then run the installer again."
fi

step "Installing torch ($TORCH_SPEC; this is the big download)"
TORCH_ARGS=()
[[ -z $TORCH_INDEX ]] || TORCH_ARGS+=(--index-url "$TORCH_INDEX")
pip_in_venv install ${TORCH_ARGS[@]+"${TORCH_ARGS[@]}"} "$TORCH_SPEC" ||
	fail "Installing torch failed." "Check the internet connection and the free disk space, then run the installer again."

step "Installing the app and its libraries"
pip_in_venv install --upgrade --upgrade-strategy only-if-needed "$APP_SPEC" ||
	fail "Installing the app failed." "Check the internet connection (and --source, if given), then run the installer again."
if [[ $SOURCE == *.whl ]]; then
	# pip keeps an installed version equal to the wheel's; a rebuilt wheel must still replace it.
	pip_in_venv install --force-reinstall --no-deps "$SOURCE" ||
		fail "Installing the app failed." "Check --source, then run the installer again."
fi

step "Adding the launcher $LAUNCHER"
printf '#!/bin/sh\n# Starts Assistant from its private environment. Added by its installer; removed by its uninstaller.\nexec %s "$@"\n' \
	"$(sh_quote "$VENV/bin/assistant")" >"$WORK/launcher"
chmod 755 "$WORK/launcher"
put_path file "$WORK/launcher" "$LAUNCHER"
VERSION=$("$LAUNCHER" --version) || fail "The installed app does not start." \
	"Read the message above; run the installer again with --fresh, and report it if it persists."
VERSION=${VERSION##* }
say "assistant $VERSION"

step "Adding $BUNDLE"
CONTENTS=$WORK/Assistant.app/Contents
mkdir -p "$CONTENTS/MacOS" "$CONTENTS/Resources"
cp "$SCRIPT_DIR/Assistant.icns" "$CONTENTS/Resources/Assistant.icns"
printf '#!/bin/sh\n# Starts the tray app. Added by the Assistant installer.\nexec %s run "$@"\n' \
	"$(sh_quote "$VENV/bin/assistant")" >"$CONTENTS/MacOS/Assistant"
chmod 755 "$CONTENTS/MacOS/Assistant"
cat >"$CONTENTS/Info.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleName</key><string>Assistant</string>
	<key>CFBundleDisplayName</key><string>Assistant</string>
	<key>CFBundleIdentifier</key><string>$AGENT_LABEL</string>
	<key>CFBundleVersion</key><string>$(xml_escape "$VERSION")</string>
	<key>CFBundleShortVersionString</key><string>$(xml_escape "$VERSION")</string>
	<key>CFBundlePackageType</key><string>APPL</string>
	<key>CFBundleExecutable</key><string>Assistant</string>
	<key>CFBundleIconFile</key><string>Assistant</string>
	<key>LSMinimumSystemVersion</key><string>11.0</string>
	<key>LSUIElement</key><true/>
	<key>NSHighResolutionCapable</key><true/>
	<key>NSMicrophoneUsageDescription</key><string>Assistant listens when you ask a question about the screen aloud.</string>
</dict>
</plist>
EOF
put_path bundle "$WORK/Assistant.app" "$BUNDLE"
LSREGISTER=/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister
[[ ! -x $LSREGISTER ]] || "$LSREGISTER" -f "$BUNDLE" || true

if [[ $AUTOSTART == yes ]]; then
	step "Starting Assistant when you log in (LaunchAgent $AGENT)"
	cat >"$WORK/agent.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key><string>$AGENT_LABEL</string>
	<key>ProgramArguments</key>
	<array><string>/usr/bin/open</string><string>-a</string><string>$(xml_escape "$BUNDLE")</string></array>
	<key>RunAtLoad</key><true/>
	<key>ProcessType</key><string>Interactive</string>
</dict>
</plist>
EOF
	put_path file "$WORK/agent.plist" "$AGENT"
else
	step "Not starting Assistant when you log in (turn it on with --autostart)"
	if [[ -e $AGENT ]] && manifest_has file "$AGENT"; then
		launchctl bootout "gui/$(id -u)/$AGENT_LABEL" 2>/dev/null || true
	fi
	drop_path file "$AGENT"
fi

step "Adding the uninstaller $UNINSTALLER"
put_path file "$SCRIPT_DIR/uninstall.sh" "$UNINSTALLER"
chmod 755 "$UNINSTALLER"

MANIFEST_TORCH=$TORCH
MANIFEST_AUTOSTART=$AUTOSTART
manifest_save
[[ ! -d $SNAPSHOT ]] || rm -rf -- "$SNAPSHOT"
COMMITTED=1

if [[ $UPGRADE -eq 1 ]]; then say $'\nAssistant is upgraded; your settings are kept.'; else say $'\nAssistant is installed.'; fi

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

say $'\nStart Assistant from ~/Applications (or Spotlight: "Assistant"). macOS asks once for Screen Recording'
say "permission the first time it captures the screen. To remove it, run"
say "    \"$UNINSTALLER\""
