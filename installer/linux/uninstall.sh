#!/usr/bin/env bash
# Removes what Assistant's installer added for this user, as listed in its manifest, and nothing else.
# Settings and downloaded models stay unless --purge is given.

set -Eeuo pipefail

usage() {
	cat <<'EOF'
Usage: uninstall.sh [--purge]

Removes Assistant: its private Python environment, launcher, menu entry, icon and autostart entry.
Your settings (~/.config/assistant) and the downloaded model stay, so a later install finds them.

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

xdg_dir() {
	if [[ ${1:-} == /* ]]; then printf '%s' "$1"; else printf '%s' "$2"; fi
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

DATA_HOME=$(xdg_dir "${XDG_DATA_HOME:-}" "$HOME/.local/share")
CONFIG_HOME=$(xdg_dir "${XDG_CONFIG_HOME:-}" "$HOME/.config")
CACHE_HOME=$(xdg_dir "${XDG_CACHE_HOME:-}" "$HOME/.cache")
APP_DIR=$DATA_HOME/assistant
VENV=$APP_DIR/venv
MANIFEST=$APP_DIR/install-manifest.txt

app_running() {
	local cmdline parts
	for cmdline in /proc/[0-9]*/cmdline; do
		# A builtin, not a subshell: a process that ends mid-scan is simply skipped.
		mapfile -d '' -t parts 2>/dev/null <"$cmdline" || continue
		[[ ${parts[*]-} != *"$VENV/"* ]] || return 0
	done
	return 1
}

if app_running; then
	fail "Assistant is running, so it cannot be removed now." "Quit it (tray menu, Quit), then run the uninstaller again."
fi

FILES=()
DIRS=()
PACKAGES=()
if [[ -f $MANIFEST ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		kind=${line%% *}
		path=${line#* }
		case $kind in
		file) FILES+=("$path") ;;
		dir) DIRS+=("$path") ;;
		package) PACKAGES+=("$path") ;;
		tree)
			# Only the private environment is ever removed whole; anything else here is not trusted.
			[[ $path == "$VENV" ]] || fail "The manifest $MANIFEST names an unexpected folder ($path)." \
				"Remove Assistant's files by hand, or reinstall and uninstall again."
			;;
		esac
	done <"$MANIFEST"
	say "Removing Assistant (as listed in $MANIFEST)"
elif [[ $PURGE -eq 0 ]]; then
	say "Assistant is not installed for $(id -un): there is no $MANIFEST."
	exit 0
fi

step "Removing the private Python environment"
for venv in "$VENV" "$APP_DIR/venv.previous" "$APP_DIR/venv.previous.partial"; do
	if [[ -d $venv ]]; then
		say "Removing $venv"
		rm -rf -- "$venv"
	fi
done

step "Removing the launcher, menu entry, icons and autostart entry"
for file in ${FILES[@]+"${FILES[@]}"}; do
	if [[ -f $file || -L $file ]]; then
		say "Removing $file"
		rm -f -- "$file"
	fi
done
[[ ! -f $MANIFEST ]] || rm -f -- "$MANIFEST"

if [[ $PURGE -eq 1 ]]; then
	step "Removing the settings, the downloaded models and the cache (--purge)"
	for folder in "$CONFIG_HOME/assistant" "$CACHE_HOME/assistant" "$APP_DIR"; do
		if [[ -d $folder ]]; then
			say "Removing $folder"
			rm -rf -- "$folder"
		fi
	done
	# The models sit in the Hugging Face cache (found the way huggingface_hub finds it): BLIP-2 for
	# descriptions, faster-whisper for spoken questions. The cache itself is shared, so it stays.
	HUB=${HF_HUB_CACHE:-${HF_HOME:-$CACHE_HOME/huggingface}/hub}
	for folder in "$HUB"/models--Salesforce--blip2-* "$HUB"/models--Systran--faster-whisper-* \
		"$HUB"/.locks/models--Salesforce--blip2-* "$HUB"/.locks/models--Systran--faster-whisper-*; do
		if [[ -d $folder ]]; then
			say "Removing $folder"
			rm -rf -- "$folder"
		fi
	done
fi

# Folders the installer created, deepest first, and only when nothing else lives in them now.
for ((i = ${#DIRS[@]} - 1; i >= 0; i--)); do
	rmdir -- "${DIRS[i]}" 2>/dev/null || true
done

say ""
if [[ $PURGE -eq 1 ]]; then
	say "Assistant is removed, with its settings and model."
else
	say "Assistant is removed. Your settings ($CONFIG_HOME/assistant) and the downloaded model stay;"
	say "run uninstall.sh --purge to remove them too."
fi
if [[ ${#PACKAGES[@]} -gt 0 ]]; then
	say "The system packages installed for it stay, as other programs may use them: ${PACKAGES[*]}"
fi
