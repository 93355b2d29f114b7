#!/usr/bin/env bash
# Removes what Assistant's Linux or macOS installer added for this user, as listed in its manifest, and
# nothing else. Settings and downloaded models stay unless --purge is given. The installer puts this script
# in Assistant's data folder with common.sh beside it. Written for macOS's own bash 3.2 too.

set -Eeuo pipefail

usage() {
	cat <<'USAGE'
Usage: uninstall.sh [--purge]

Removes Assistant: its private Python environment, its launcher, its menu entry and icon (on macOS,
~/Applications/Assistant.app) and its login item. Your settings and the downloaded model stay, so a
later install finds them.

Options:
  --purge      also remove the settings, the downloaded model and Assistant's cache
  -h, --help   show this help
USAGE
}

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
[[ -f $HERE/common.sh ]] || {
	printf '\nError: %s\n%s\n' "The uninstaller cannot find common.sh beside it in $HERE." \
		"Run the installer again (it puts common.sh there), then run the uninstaller again." >&2
	exit 1
}
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh"

PURGE=0
# ${1+"$@"}: a bare "$@" of no arguments stops bash 3.2 under set -u.
for option in ${1+"$@"}; do
	case $option in
	-h | --help)
		usage
		exit 0
		;;
	--purge) PURGE=1 ;;
	*) fail "Unknown option: $option." "Run uninstall.sh --help to see the options." ;;
	esac
done
require_home uninstaller

AGENT_LABEL=org.assistant.app
CACHE_HOME=$(xdg_dir "${XDG_CACHE_HOME:-}" "$HOME/.cache")
if [[ $(uname -s) == Darwin ]]; then
	# platformdirs keeps both the settings and the app's data in Application Support on macOS.
	APP_DIR="$HOME/Library/Application Support/assistant"
	SETTINGS=$APP_DIR
	BUNDLE=$HOME/Applications/Assistant.app
	AGENT=$HOME/Library/LaunchAgents/$AGENT_LABEL.plist
	QUIT_HOW="menu bar icon, Quit"
	PURGED=("$APP_DIR" "$HOME/Library/Caches/assistant" "$HOME/Library/Logs/assistant")
	REMOVING="Removing the login item, the app and the launcher"
else
	APP_DIR=$(xdg_dir "${XDG_DATA_HOME:-}" "$HOME/.local/share")/assistant
	SETTINGS=$(xdg_dir "${XDG_CONFIG_HOME:-}" "$HOME/.config")/assistant
	BUNDLE=""
	AGENT=""
	QUIT_HOW="tray menu, Quit"
	PURGED=("$SETTINGS" "$CACHE_HOME/assistant" "$APP_DIR")
	REMOVING="Removing the launcher, menu entry, icons and autostart entry"
fi
VENV=$APP_DIR/venv
MANIFEST=$APP_DIR/install-manifest.txt

refuse_while_running removed uninstaller

# What the manifest lists. Only the private environment and the app bundle are ever removed whole; a
# manifest that names any other folder for that is not trusted.
FILES=()
DIRS=()
PACKAGES=()
HAS_BUNDLE=0
if [[ -f $MANIFEST ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		kind=${line%% *}
		path=${line#* }
		case $kind in
		file) FILES+=("$path") ;;
		dir) DIRS+=("$path") ;;
		package) PACKAGES+=("$path") ;;
		tree | bundle)
			if [[ $kind == bundle && -n $BUNDLE && $path == "$BUNDLE" ]]; then
				HAS_BUNDLE=1
			elif [[ $kind != tree || $path != "$VENV" ]]; then
				fail "The manifest $MANIFEST names an unexpected folder ($path)." \
					"Remove Assistant's files by hand, or reinstall and uninstall again."
			fi
			;;
		esac
	done <"$MANIFEST"
	say "Removing Assistant (as listed in $MANIFEST)"
elif [[ $PURGE -eq 0 ]]; then
	say "Assistant is not installed for $(id -un): there is no $MANIFEST."
	exit 0
fi

step "$REMOVING"
for file in ${FILES[@]+"${FILES[@]}"}; do
	# A loaded LaunchAgent is unloaded before its file goes.
	if [[ -n $AGENT && $file == "$AGENT" ]]; then
		launchctl bootout "gui/$(id -u)/$AGENT_LABEL" 2>/dev/null || true
	fi
	if [[ -f $file || -L $file ]]; then
		say "Removing $file"
		rm -f -- "$file"
	fi
done
[[ $HAS_BUNDLE -eq 0 ]] || remove_folders "$BUNDLE"
step "Removing the private Python environment"
remove_folders "$VENV" "$APP_DIR/venv.previous" "$APP_DIR/venv.previous.partial"
[[ ! -f $MANIFEST ]] || rm -f -- "$MANIFEST"

if [[ $PURGE -eq 1 ]]; then
	step "Removing the settings, the downloaded models and the cache (--purge)"
	remove_folders "${PURGED[@]}"
	# The models sit in the Hugging Face cache (found the way huggingface_hub finds it): BLIP-2 for
	# descriptions, faster-whisper for spoken questions. The cache itself is shared, so it stays.
	HUB=${HF_HUB_CACHE:-${HF_HOME:-$CACHE_HOME/huggingface}/hub}
	remove_folders "$HUB"/models--Salesforce--blip2-* "$HUB"/models--Systran--faster-whisper-* \
		"$HUB"/.locks/models--Salesforce--blip2-* "$HUB"/.locks/models--Systran--faster-whisper-*
fi

# Folders the installer created, deepest first, and only when nothing else lives in them now.
for ((i = ${#DIRS[@]} - 1; i >= 0; i--)); do
	rmdir -- "${DIRS[i]}" 2>/dev/null || true
done

say ""
if [[ $PURGE -eq 1 ]]; then
	say "Assistant is removed, with its settings and model."
else
	say "Assistant is removed. Your settings ($SETTINGS) and the downloaded model stay;"
	say "run uninstall.sh --purge to remove them too."
fi
if [[ ${#PACKAGES[@]} -gt 0 ]]; then
	say "The system packages installed for it stay, as other programs may use them: ${PACKAGES[*]}"
fi
