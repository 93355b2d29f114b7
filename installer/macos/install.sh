#!/usr/bin/env bash
# Installs Assistant for the current macOS user, without administrator rights: a private Python environment
# with torch and the app, ~/Applications/Assistant.app that starts the tray app, a command-line launcher,
# and (when asked) a LaunchAgent that starts it at login. Running it again upgrades in place and keeps the
# settings; a failed run puts back what it changed. Everything it creates is listed in a manifest that
# uninstall.sh reads. Written for macOS's own bash 3.2. The steps it shares with installer/linux/install.sh
# are in ../common.sh; see installer/README.md for what was tested where.

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

UNPACKED="Run install.sh from inside the unpacked Assistant folder, as installer/macos/install.sh."
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ICNS=$SCRIPT_DIR/Assistant.icns
COMMON=$SCRIPT_DIR/../common.sh
[[ -f $COMMON ]] || { printf '\nError: The installer cannot find %s.\n%s\n' "$COMMON" "$UNPACKED" >&2 && exit 1; }
# shellcheck source-path=SCRIPTDIR/.. source=common.sh
. "$COMMON"

[[ $(uname -s) == Darwin ]] || fail "This installer is for macOS." "On Linux run installer/linux/install.sh."
require_home installer
# ${1+"$@"}: a bare "$@" of no arguments stops bash 3.2 under set -u.
install_options ${1+"$@"}
if [[ -n $TORCH_OPTION && $TORCH_OPTION != cpu ]]; then
	fail "Only the one macOS build of torch exists (--torch $TORCH_OPTION is not available)." \
		"Leave out --torch; on Apple silicon it uses the GPU by itself."
fi

APP_DIR="$HOME/Library/Application Support/assistant"
VENV=$APP_DIR/venv
SNAPSHOT=$APP_DIR/venv.previous
MANIFEST=$APP_DIR/install-manifest.txt
UNINSTALLER=$APP_DIR/uninstall.sh
LAUNCHER=$HOME/.local/bin/assistant
BUNDLE=$HOME/Applications/Assistant.app
AGENT_LABEL=org.assistant.app
AGENT=$HOME/Library/LaunchAgents/$AGENT_LABEL.plist
QUIT_HOW="menu bar icon, Quit"
VENV_ADVICE="Reinstall Python from python.org, then run the installer again."
# APFS clones cost no space; plain copies where the disk cannot clone.
CLONE_FLAGS=-Rpc
COPY_FLAGS=-Rp

for resource in "$ICNS" "$SCRIPT_DIR/../uninstall.sh"; do
	[[ -f $resource ]] || fail "The installer cannot find $resource." "$UNPACKED"
done

manifest_load
begin_changes

xml_escape() {
	local s=$1
	s=${s//&/&amp;}
	s=${s//</&lt;}
	s=${s//>/&gt;}
	printf '%s' "$s"
}

# ---------------------------------------------------------------------------------------------------------

say "Installing Assistant for $(id -un) into $APP_DIR"

step "Finding Python 3.10 or newer"
if ! find_python "Give another one with --python, or install Python from python.org, then try again." \
	python3.13 python3.12 python3.11 python3.10 python3; then
	if [[ $SYSTEM_DEPS -eq 0 ]] || ! command -v brew >/dev/null 2>&1; then
		fail "No Python 3.10 or newer was found (the one macOS ships is older)." \
			"Install Python 3.12 from python.org (or run with --system-deps to use Homebrew), then try again."
	fi
	say "Installing Python 3.12 with Homebrew."
	brew install python@3.12 || fail "Homebrew could not install Python." "Install Python 3.12 from python.org, then try again."
	PYTHON=$(brew --prefix python@3.12)/bin/python3.12
fi
say_python

step "Choosing the build of torch"
TORCH=macos
if [[ $(uname -m) == arm64 ]]; then
	say "Apple silicon: torch runs the model on its GPU (MPS)."
else
	say "An Intel Mac: torch runs the model on the processor; descriptions take longer."
fi
say "torch requirement: $TORCH_SPEC, from ${TORCH_INDEX:-the package index pip is set up to use}."

check_source ""
restore_interrupted_upgrade

AUTOSTART=${AUTOSTART:-$PREVIOUS_AUTOSTART}
if [[ $AUTOSTART == yes ]]; then
	check_nothing_in_the_way "file $LAUNCHER" "bundle $BUNDLE" "file $AGENT"
else
	check_nothing_in_the_way "file $LAUNCHER" "bundle $BUNDLE"
fi

prepare_environment
install_torch "$TORCH_SPEC" "Check the internet connection and the free disk space, then run the installer again."
install_app
add_launcher

step "Adding $BUNDLE"
CONTENTS=$WORK/Assistant.app/Contents
mkdir -p "$CONTENTS/MacOS" "$CONTENTS/Resources"
cp "$ICNS" "$CONTENTS/Resources/Assistant.icns"
printf '#!/bin/sh\n# Starts the tray app. Added by the Assistant installer.\nexec %s run "$@"\n' \
	"$(sh_quote "$VENV/bin/assistant")" >"$CONTENTS/MacOS/Assistant"
chmod 755 "$CONTENTS/MacOS/Assistant"
cat >"$CONTENTS/Info.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleName</key><string>Assistant</string>
	<key>CFBundleDisplayName</key><string>Assistant</string>
	<key>CFBundleIdentifier</key><string>$AGENT_LABEL</string>
	<key>CFBundleVersion</key><string>$(xml_escape "$APP_VERSION")</string>
	<key>CFBundleShortVersionString</key><string>$(xml_escape "$APP_VERSION")</string>
	<key>CFBundlePackageType</key><string>APPL</string>
	<key>CFBundleExecutable</key><string>Assistant</string>
	<key>CFBundleIconFile</key><string>Assistant</string>
	<key>LSMinimumSystemVersion</key><string>11.0</string>
	<key>LSUIElement</key><true/>
	<key>NSHighResolutionCapable</key><true/>
	<key>NSMicrophoneUsageDescription</key><string>Assistant listens when you ask a question about the screen aloud.</string>
</dict>
</plist>
PLIST
put_path bundle "$WORK/Assistant.app" "$BUNDLE"
LSREGISTER=/System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister
[[ ! -x $LSREGISTER ]] || "$LSREGISTER" -f "$BUNDLE" || true

if [[ $AUTOSTART == yes ]]; then
	step "Starting Assistant when you log in (LaunchAgent $AGENT)"
	cat >"$WORK/agent.plist" <<PLIST
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
PLIST
	put_path file "$WORK/agent.plist" "$AGENT" 644
else
	step "Not starting Assistant when you log in (turn it on with --autostart)"
	if [[ -e $AGENT ]] && manifest_has file "$AGENT"; then
		launchctl bootout "gui/$(id -u)/$AGENT_LABEL" 2>/dev/null || true
	fi
	drop_path file "$AGENT"
fi

add_uninstaller
commit_install
check_and_offer_model

say $'\nStart Assistant from ~/Applications (or Spotlight: "Assistant"). macOS asks once for Screen Recording'
say "permission the first time it captures the screen. To remove it, run"
say "    \"$UNINSTALLER\""
