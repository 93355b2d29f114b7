# shellcheck shell=bash
# The shell that Assistant's Linux and macOS installers and its uninstaller share: messages, the manifest of
# what the installer created, the undo log that puts a failed run back, and every install step that does not
# depend on the system. Sourced, never run. The installer copies it, with uninstall.sh (which sources it
# from beside itself), into Assistant's data folder.
#
# Written for macOS's own bash 3.2: arrays that may be empty are expanded as ${A[@]+"${A[@]}"} (a plain
# "${A[@]}" of an empty array stops the script under set -u there), and nothing newer than 3.2 runs on macOS.
#
# The sourcing script sets, before calling the install steps: APP_DIR, VENV, SNAPSHOT, MANIFEST,
# UNINSTALLER, LAUNCHER, QUIT_HOW (how to quit the running app), VENV_ADVICE (what to do when creating the
# environment fails), CLONE_FLAGS and COPY_FLAGS (cp flags for the upgrade's snapshot: the cheap way, then
# the plain one), TORCH, and usage(). uninstall.sh uses the messages, app_running and remove_folders.
# Those variables are assigned, and some that this file assigns are read, only by the sourcing scripts:
# shellcheck disable=SC2154,SC2034

COMMON_SH=${BASH_SOURCE[0]}

# ---------------------------------------------------------------------------------------------------------
# Messages

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

# require_home WHO: stops unless HOME is an absolute folder (WHO is "installer" or "uninstaller").
require_home() {
	[[ ${HOME:-} == /* ]] || fail "HOME is not set to an absolute folder." "Run the $1 from your own login session."
}

# An XDG base directory: the variable when it holds an absolute path, else the default.
xdg_dir() {
	if [[ ${1:-} == /* ]]; then printf '%s' "$1"; else printf '%s' "$2"; fi
}

# True when a process runs from the private environment.
app_running() {
	local cmdline parts processes
	if [[ -d /proc/self ]]; then
		for cmdline in /proc/[0-9]*/cmdline; do
			# A builtin, not a subshell: a process that ends mid-scan is simply skipped. (Linux's bash
			# has mapfile -d; macOS, whose bash 3.2 has not, has no /proc either.)
			mapfile -d '' -t parts 2>/dev/null <"$cmdline" || continue
			[[ ${parts[*]-} != *"$VENV/"* ]] || return 0
		done
		return 1
	fi
	processes=$(ps -axo command= 2>/dev/null) || return 1
	[[ $processes == *"$VENV/"* ]]
}

# refuse_while_running DONE WHO: stops while the app runs ("cannot be DONE now", "run the WHO again").
refuse_while_running() {
	if app_running; then
		fail "Assistant is running, so it cannot be $1 now." "Quit it ($QUIT_HOW), then run the $2 again."
	fi
}

# Removes each FOLDER that exists, saying so.
remove_folders() {
	local folder
	for folder in "$@"; do
		if [[ -d $folder ]]; then
			say "Removing $folder"
			rm -rf -- "$folder"
		fi
	done
}

# ---------------------------------------------------------------------------------------------------------
# Installing: the options both systems take

SOURCE=""
TORCH_OPTION=""
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

# Reads the options into the variables above; --torch's value is checked by the system's own script.
install_options() {
	while [[ $# -gt 0 ]]; do
		case $1 in
		--source=* | --torch=* | --torch-spec=* | --torch-index=* | --python=*)
			set -- "${1%%=*}" "${1#*=}" "${@:2}"
			continue
			;;
		--source) need_value "$@" && SOURCE=$2 && shift ;;
		--torch) need_value "$@" && TORCH_OPTION=$2 && shift ;;
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
	[[ -n $TORCH_SPEC ]] || fail "--torch-spec is empty." "Give a requirement such as torch or 'torch==2.13.0'."
}

# ---------------------------------------------------------------------------------------------------------
# The manifest (what this installer created, for uninstall.sh) and the undo log (what this run changed)

MANIFEST_LINES=()
PREVIOUS_TORCH=""
PREVIOUS_AUTOSTART=no

manifest_load() {
	local line
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
}

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

# Writes the manifest whole (temporary file, then rename) once its folder exists.
manifest_save() {
	local line
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
			# Whatever this run put there goes first: mv would move a folder into it, not over it.
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

# From here on a failure, Ctrl-C included, puts back what the run changed.
begin_changes() {
	trap on_exit EXIT
	trap 'printf "\nStopped.\n" >&2; REPORTED=1; exit 130' INT TERM HUP
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/assistant-install.XXXXXX")
	if [[ -f $MANIFEST ]]; then
		cp -p -- "$MANIFEST" "$WORK/manifest.before"
		undo_push restore "$WORK/manifest.before" "$MANIFEST"
	fi
}

# Creates a folder and its missing parents, recording each one it creates.
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

# put_path KIND SRC DEST [MODE]: puts SRC (a file, or with KIND "bundle" a folder) at DEST; an existing DEST
# must be one this installer made, and is kept aside until the run succeeds.
put_path() {
	local kind=$1 src=$2 dest=$3 mode=${4:-}
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
	[[ -z $mode ]] || chmod "$mode" -- "$dest"
}

# drop_path KIND DEST: removes DEST if this installer made it (kept aside until the run succeeds), and the
# folders it made for it once they are empty.
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

# A word quoted for /bin/sh.
sh_quote() {
	local quote="'\\''"
	printf "'%s'" "${1//\'/$quote}"
}

pip_in_venv() {
	local args=(--disable-pip-version-check --no-input)
	[[ -n ${PIP_CACHE_DIR:-} ]] || args+=(--no-cache-dir)
	"$VENV/bin/python" -m pip "$1" "${args[@]}" "${@:2}"
}

# ---------------------------------------------------------------------------------------------------------
# Installing: the steps

python_ok() {
	"$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1
}

# find_python ADVICE CANDIDATE...: keeps --python's choice (which must do; ADVICE says what to do when it does
# not), else sets PYTHON to the first CANDIDATE that does; false when none does.
find_python() {
	local advice=$1 candidate
	shift
	if [[ -n $PYTHON ]]; then
		python_ok "$PYTHON" || fail "$PYTHON is not Python 3.10 or newer with the venv module." "$advice"
		return 0
	fi
	for candidate in "$@"; do
		if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
			PYTHON=$(command -v "$candidate")
			return 0
		fi
	done
	return 1
}

say_python() {
	say "Using $PYTHON ($("$PYTHON" -c 'import platform; print(platform.python_version())'))."
}

# check_source EXTRAS: sets APP_SPEC from --source (or the package index), with the pip EXTRAS ("" or "[gpu]").
check_source() {
	step "Checking the app to install"
	if [[ -z $SOURCE ]]; then
		APP_SPEC="assistant$1"
		say "Installing the app from the package index."
	elif [[ -d $SOURCE && -f $SOURCE/pyproject.toml ]]; then
		SOURCE=$(cd -- "$SOURCE" && pwd)
		APP_SPEC="$SOURCE$1"
		say "Installing the app from the folder $SOURCE."
	elif [[ -f $SOURCE && $SOURCE == *.whl ]]; then
		SOURCE=$(cd -- "$(dirname -- "$SOURCE")" && pwd)/$(basename -- "$SOURCE")
		APP_SPEC="$SOURCE$1"
		say "Installing the app from the wheel $SOURCE."
	else
		fail "--source $SOURCE is neither a folder with pyproject.toml nor a .whl file." \
			"Point --source at the Assistant checkout or at a wheel built from it."
	fi
}

# A run that was stopped hard (power cut, kill -9) may have left the previous environment aside.
restore_interrupted_upgrade() {
	rm -rf -- "$SNAPSHOT.partial"
	if [[ -d $SNAPSHOT ]]; then
		step "Restoring the environment an interrupted run left aside"
		rm -rf -- "$VENV"
		mv -- "$SNAPSHOT" "$VENV"
	fi
}

# check_nothing_in_the_way "KIND PATH"...: stops at anything this installer would replace but did not make,
# the uninstaller and the environment included; sets UPGRADE.
check_nothing_in_the_way() {
	local target path
	step "Checking that nothing is in the way"
	for target in "$@" "file $UNINSTALLER" "file $APP_DIR/common.sh"; do
		path=${target#* }
		if [[ -e $path || -L $path ]] && ! manifest_has "${target%% *}" "$path"; then
			fail "$path already exists and was not put there by this installer." \
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
		refuse_while_running upgraded installer
	fi
	say "Nothing is in the way."
}

# A new environment, or the current one upgraded in place with a snapshot kept until the run succeeds.
prepare_environment() {
	ensure_dir "$APP_DIR"
	manifest_add tree "$VENV"
	manifest_save
	if [[ $UPGRADE -eq 0 ]]; then
		step "Creating the Python environment in $VENV"
		undo_push rmtree "$VENV"
		"$PYTHON" -m venv -- "$VENV" || fail "Creating the Python environment failed." "$VENV_ADVICE"
	elif [[ $FRESH -eq 1 || $TORCH != "$PREVIOUS_TORCH" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
		step "Setting the current environment aside and building a new one"
		if [[ -z $PREVIOUS_TORCH ]]; then
			say "The previous install did not finish."
		elif [[ $TORCH != "$PREVIOUS_TORCH" ]]; then
			say "The torch build changes from $PREVIOUS_TORCH to $TORCH."
		fi
		mv -- "$VENV" "$SNAPSHOT"
		undo_push venv
		"$PYTHON" -m venv -- "$VENV" || fail "Creating the Python environment failed." "$VENV_ADVICE"
	else
		step "Upgrading the existing environment in place (a snapshot is kept until this run succeeds)"
		# pip replaces files rather than writing into them, so a snapshot of links or clones stays intact.
		if ! cp "$CLONE_FLAGS" -- "$VENV" "$SNAPSHOT.partial" 2>/dev/null; then
			rm -rf -- "$SNAPSHOT.partial"
			cp "$COPY_FLAGS" -- "$VENV" "$SNAPSHOT.partial" || {
				rm -rf -- "$SNAPSHOT.partial"
				fail "There is no room to keep a copy of the current environment." \
					"Free some disk space in $APP_DIR, then run the installer again."
			}
		fi
		mv -- "$SNAPSHOT.partial" "$SNAPSHOT"
		undo_push venv
	fi
}

# install_torch WHAT ADVICE: WHAT names the build in the step's title; ADVICE is said when it fails.
install_torch() {
	local index=()
	step "Installing torch ($1; this is the big download)"
	[[ -z $TORCH_INDEX ]] || index=(--index-url "$TORCH_INDEX")
	pip_in_venv install ${index[@]+"${index[@]}"} "$TORCH_SPEC" || fail "Installing torch failed." "$2"
}

install_app() {
	local advice="Check the internet connection, then run the installer again."
	step "Installing the app and its libraries"
	[[ -z $SOURCE ]] || advice="Check that --source points at a working checkout or wheel and that the internet connection works, then run the installer again."
	pip_in_venv install --upgrade --upgrade-strategy only-if-needed "$APP_SPEC" ||
		fail "Installing the app failed." "$advice"
	if [[ $SOURCE == *.whl ]]; then
		# pip keeps an installed version equal to the wheel's; a rebuilt wheel must still replace it.
		pip_in_venv install --force-reinstall --no-deps "$SOURCE" || fail "Installing the app failed." "$advice"
	fi
}

# Puts the command-line launcher in place and checks that the app starts; sets APP_VERSION.
add_launcher() {
	local version
	step "Adding the launcher $LAUNCHER"
	printf '#!/bin/sh\n# Starts Assistant from its private environment. Added by its installer; removed by its uninstaller.\nexec %s "$@"\n' \
		"$(sh_quote "$VENV/bin/assistant")" >"$WORK/launcher"
	put_path file "$WORK/launcher" "$LAUNCHER" 755
	version=$("$LAUNCHER" --version) || fail "The installed app does not start." \
		"Read the message above; run the installer again with --fresh, and report it if it persists."
	say "$version"
	APP_VERSION=${version##* }
}

# The uninstaller, and this file beside it, which the uninstaller sources.
add_uninstaller() {
	step "Adding the uninstaller $UNINSTALLER"
	put_path file "$(dirname -- "$COMMON_SH")/uninstall.sh" "$UNINSTALLER" 755
	put_path file "$COMMON_SH" "$APP_DIR/common.sh" 644
}

# The new state is final from here on: the choices are recorded and the snapshot goes.
commit_install() {
	MANIFEST_TORCH=$TORCH
	MANIFEST_AUTOSTART=$AUTOSTART
	manifest_save
	[[ ! -d $SNAPSHOT ]] || rm -rf -- "$SNAPSHOT"
	COMMITTED=1
	if [[ $UPGRADE -eq 1 ]]; then say $'\nAssistant is upgraded; your settings are kept.'; else say $'\nAssistant is installed.'; fi
	case ":$PATH:" in
	*":$(dirname -- "$LAUNCHER"):"*) ;;
	*) say "Note: $(dirname -- "$LAUNCHER") is not on your PATH yet; the menu entry works anyway, and most systems add it at your next login." ;;
	esac
}

# assistant doctor, then the model download when asked for (or, in a terminal, agreed to).
check_and_offer_model() {
	local answer
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
}
