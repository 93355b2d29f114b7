#!/usr/bin/env bash
# Removes what Assistant's macOS installer added for this user, as listed in its manifest, and nothing else.
# Settings and downloaded models stay unless --purge is given. Written for macOS's own bash 3.2.

set -Eeuo pipefail

usage() {
	cat <<'EOF'
Usage: uninstall.sh [--purge]

Removes Assistant: its private Python environment, ~/Applications/Assistant.app, the command-line
launcher and the login item. Your settings and the downloaded model stay, so a later install finds them.

Options:
  --purge      also remove the settings, the downloaded model and Assistant's cache
  -h, --help   show this help
EOF
}

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
fail() {
	printf '\nError: %s\n%s\n' "$1" "$2" >&2
	exit 1
}

PURGE=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--purge) PURGE=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*) fail "Unknown option: $1." "Run uninstall.sh --help to see the options." ;;
	esac
	shift
done

[[ ${HOME:-} == /* ]] || fail "HOME is not set to an absolute folder." "Run the uninstaller from your own login session."

# platformdirs keeps both the settings and the app's data in Application Support on macOS.
APP_DIR="$HOME/Library/Application Support/assistant"
VENV=$APP_DIR/venv
MANIFEST=$APP_DIR/install-manifest.txt
BUNDLE=$HOME/Applications/Assistant.app
AGENT_LABEL=org.assistant.app

processes=$(ps -axo command= 2>/dev/null || true)
if [[ $processes == *"$VENV/"* ]]; then
	fail "Assistant is running, so it cannot be removed now." "Quit it (menu bar icon, Quit), then run the uninstaller again."
fi

FILES=()
DIRS=()
HAS_BUNDLE=0
if [[ -f $MANIFEST ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		kind=${line%% *}
		path=${line#* }
		case $kind in
		file) FILES+=("$path") ;;
		dir) DIRS+=("$path") ;;
		bundle | tree)
			# Only the app bundle and the private environment are ever removed whole.
			if [[ $kind == bundle && $path == "$BUNDLE" ]]; then
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

step "Removing the login item, the app and the launcher"
for file in ${FILES[@]+"${FILES[@]}"}; do
	if [[ $file == */LaunchAgents/* ]]; then
		launchctl bootout "gui/$(id -u)/$AGENT_LABEL" 2>/dev/null || true
	fi
	if [[ -f $file || -L $file ]]; then
		say "Removing $file"
		rm -f -- "$file"
	fi
done
if [[ $HAS_BUNDLE -eq 1 && -d $BUNDLE ]]; then
	say "Removing $BUNDLE"
	rm -rf -- "$BUNDLE"
fi

step "Removing the private Python environment"
for venv in "$VENV" "$APP_DIR/venv.previous" "$APP_DIR/venv.previous.partial"; do
	if [[ -d $venv ]]; then
		say "Removing $venv"
		rm -rf -- "$venv"
	fi
done
[[ ! -f $MANIFEST ]] || rm -f -- "$MANIFEST"

if [[ $PURGE -eq 1 ]]; then
	step "Removing the settings, the downloaded models and the cache (--purge)"
	for folder in "$APP_DIR" "$HOME/Library/Caches/assistant" "$HOME/Library/Logs/assistant"; do
		if [[ -d $folder ]]; then
			say "Removing $folder"
			rm -rf -- "$folder"
		fi
	done
	CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
	HUB=${HF_HUB_CACHE:-${HF_HOME:-$CACHE_HOME/huggingface}/hub}
	for folder in "$HUB"/models--Salesforce--blip2-* "$HUB"/models--Systran--faster-whisper-* \
		"$HUB"/.locks/models--Salesforce--blip2-* "$HUB"/.locks/models--Systran--faster-whisper-*; do
		if [[ -d $folder ]]; then
			say "Removing $folder"
			rm -rf -- "$folder"
		fi
	done
fi

for ((i = ${#DIRS[@]} - 1; i >= 0; i--)); do
	rmdir -- "${DIRS[i]}" 2>/dev/null || true
done

say ""
if [[ $PURGE -eq 1 ]]; then
	say "Assistant is removed, with its settings and model."
else
	say "Assistant is removed. Your settings ($APP_DIR) and the downloaded model stay;"
	say "run uninstall.sh --purge to remove them too."
fi
