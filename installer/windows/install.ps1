<#
.SYNOPSIS
Installs Assistant for the current Windows user, without administrator rights.

.DESCRIPTION
Builds a private Python environment in %LOCALAPPDATA%\assistant\venv with the torch build that fits the
computer (CUDA where nvidia-smi lists an NVIDIA GPU, CPU otherwise) and the app; adds a Start-menu
shortcut, an "assistant" command, an entry under Settings > Apps (HKCU) to uninstall it, and, when asked,
a Startup shortcut. Running it again upgrades in place and keeps the settings. A failed run puts back what
it changed. Everything it creates is listed in install-manifest.txt, which uninstall.ps1 reads.
The same design as installer/linux/install.sh; see installer/README.md for what was tested where.

.PARAMETER Source
Install the app from a checkout folder or a .whl file (default: the package "assistant" from the index).
.PARAMETER Torch
cpu or cuda (default: cuda when `nvidia-smi -L` lists a GPU, cpu otherwise).
.PARAMETER TorchSpec
The torch requirement (default: torch, or $env:ASSISTANT_TORCH_SPEC).
.PARAMETER TorchIndex
The package index torch comes from; an empty value uses pip's configuration (default: pip's index, which
has the CPU build on Windows, for cpu; https://download.pytorch.org/whl/cu128 for cuda).
.PARAMETER Python
The python.exe (3.10 or newer) to build the environment with.
.PARAMETER Autostart
Start Assistant when you sign in. -NoAutostart turns it off; neither keeps the previous choice.
.PARAMETER Fresh
Rebuild the Python environment even when upgrading.
.PARAMETER SystemDeps
Install what is missing (Python 3.12, the Visual C++ runtime) with winget.
.PARAMETER Yes
Download the model after installing, without asking. -NoModel: do not offer to.
.PARAMETER PauseOnError
Wait for Enter before closing when something fails (used by setup.exe, so the message can be read).
#>
[CmdletBinding()]
param(
    [string]$Source = '',
    [ValidateSet('', 'cpu', 'cuda')][string]$Torch = '',
    [string]$TorchSpec = '',
    [string]$TorchIndex = '',
    [string]$Python = '',
    [switch]$Autostart,
    [switch]$NoAutostart,
    [switch]$Fresh,
    [switch]$SystemDeps,
    [switch]$Yes,
    [switch]$NoModel,
    [switch]$PauseOnError
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

function Say([string]$Text) { Write-Host $Text }
function Step([string]$Text) { Write-Host ''; Write-Host "==> $Text" }

# One sentence on what happened, one on what to do; the caller's catch prints them and rolls back.
function Fail([string]$What, [string]$ToDo) {
    $err = New-Object System.Exception $What
    $err.Data['ToDo'] = $ToDo
    throw $err
}

# Runs a program; returns its exit code. Output goes to the console unless -Capture, then it is returned.
function Invoke-Native([string]$Exe, [string[]]$Arguments, [switch]$Capture) {
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'  # Windows PowerShell turns a native program's stderr into errors
    try {
        if ($Capture) {
            $out = & $Exe @Arguments 2>$null
            return @{ Code = $LASTEXITCODE; Output = ($out -join "`n") }
        }
        & $Exe @Arguments | Out-Host
        return @{ Code = $LASTEXITCODE; Output = '' }
    } catch {
        return @{ Code = -1; Output = '' }
    } finally {
        $ErrorActionPreference = $previous
    }
}

$HereDir = $PSScriptRoot
$AppDir = Join-Path $env:LOCALAPPDATA 'assistant'
$Venv = Join-Path $AppDir 'venv'
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$Snapshot = "$Venv.previous"
$Manifest = Join-Path $AppDir 'install-manifest.txt'
$BinDir = Join-Path $AppDir 'bin'
$Launcher = Join-Path $BinDir 'assistant.cmd'
$Uninstaller = Join-Path $AppDir 'uninstall.ps1'
$IconFile = Join-Path $AppDir 'assistant.ico'
$StartMenuLink = Join-Path ([Environment]::GetFolderPath('Programs')) 'Assistant.lnk'
$StartupLink = Join-Path ([Environment]::GetFolderPath('Startup')) 'Assistant.lnk'
$UninstallKey = 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\Assistant'
$CudaIndex = 'https://download.pytorch.org/whl/cu128'

if (-not $TorchSpec) { $TorchSpec = if ($env:ASSISTANT_TORCH_SPEC) { $env:ASSISTANT_TORCH_SPEC } else { 'torch' } }
$TorchIndexSet = $PSBoundParameters.ContainsKey('TorchIndex') -or (Test-Path Env:ASSISTANT_TORCH_INDEX)
if (-not $PSBoundParameters.ContainsKey('TorchIndex') -and (Test-Path Env:ASSISTANT_TORCH_INDEX)) {
    $TorchIndex = $env:ASSISTANT_TORCH_INDEX
}
$AutostartChoice = if ($Autostart) { 'yes' } elseif ($NoAutostart) { 'no' } else { '' }
$ModelChoice = if ($Yes) { 'yes' } elseif ($NoModel) { 'no' } else { 'ask' }

# --- The manifest (what this installer created) and the undo log (what this run changed) ---------------

$ManifestLines = New-Object System.Collections.Generic.List[string]
$PreviousTorch = ''
$PreviousAutostart = 'no'
if (Test-Path -LiteralPath $Manifest) {
    foreach ($line in Get-Content -LiteralPath $Manifest -Encoding UTF8) {
        if ($line.StartsWith('option torch ')) { $PreviousTorch = $line.Substring(13) }
        elseif ($line.StartsWith('option autostart ')) { $PreviousAutostart = $line.Substring(17) }
        elseif ($line -and -not $line.StartsWith('#')) { $ManifestLines.Add($line) }
    }
}
$ManifestTorch = $PreviousTorch
$ManifestAutostart = $PreviousAutostart
$Undo = New-Object System.Collections.ArrayList
$Committed = $false
$Work = Join-Path ([IO.Path]::GetTempPath()) ('assistant-install-' + [guid]::NewGuid().ToString('N'))
$Backups = 0

function Test-Manifest([string]$Kind, [string]$Path) { return $ManifestLines.Contains("$Kind $Path") }
function Add-Manifest([string]$Kind, [string]$Path) {
    if (-not (Test-Manifest $Kind $Path)) { $ManifestLines.Add("$Kind $Path") }
}
function Push-Undo([string]$Op, [string]$A = '', $B = $null) { [void]$Undo.Add(@{ Op = $Op; A = $A; B = $B }) }

function Save-Manifest {
    if (-not (Test-Path -LiteralPath $AppDir)) { return }
    if (-not (Test-Path -LiteralPath $Manifest)) {
        $known = $Undo | Where-Object { $_.Op -eq 'rmfile' -and $_.A -eq $Manifest }
        if (-not $known) { Push-Undo 'rmfile' $Manifest }
    }
    $text = @("# Written by Assistant's installer; read by its uninstaller. One line per thing it created.",
        "option torch $ManifestTorch", "option autostart $ManifestAutostart") + $ManifestLines
    [IO.File]::WriteAllLines("$Manifest.tmp", [string[]]$text, (New-Object System.Text.UTF8Encoding $false))
    Move-Item -LiteralPath "$Manifest.tmp" -Destination $Manifest -Force
}

function Invoke-Rollback {
    if ($Undo.Count -eq 0) { return }
    Write-Host ''
    Write-Host '==> Putting back what this run changed'
    for ($i = $Undo.Count - 1; $i -ge 0; $i--) {
        $u = $Undo[$i]
        try {
            switch ($u.Op) {
                'rmfile' { Remove-Item -LiteralPath $u.A -Force -ErrorAction SilentlyContinue }
                'rmdir' {
                    if (-not (Get-ChildItem -LiteralPath $u.A -Force -ErrorAction SilentlyContinue)) {
                        Remove-Item -LiteralPath $u.A -Force -ErrorAction SilentlyContinue
                    }
                }
                'mkdir' { New-Item -ItemType Directory -Path $u.A -Force | Out-Null }
                'rmtree' { Remove-Item -LiteralPath $u.A -Recurse -Force -ErrorAction SilentlyContinue }
                'restore' { Copy-Item -LiteralPath $u.A -Destination $u.B -Force }
                'venv' {
                    Remove-Item -LiteralPath $Venv -Recurse -Force -ErrorAction SilentlyContinue
                    Move-Item -LiteralPath $Snapshot -Destination $Venv
                }
                'regkey' {
                    Remove-Item -Path $UninstallKey -Recurse -Force -ErrorAction SilentlyContinue
                    if ($u.B) { Set-UninstallValues $u.B }
                }
                'userpath' { Set-UserPath $u.A }
            }
        } catch {
            Write-Host "Could not put back $($u.A): $($_.Exception.Message)"
        }
    }
    Write-Host 'Your computer is as it was before this run.'
}

function Confirm-Dir([string]$Dir) {
    $missing = @()
    $d = $Dir
    while (-not (Test-Path -LiteralPath $d)) { $missing = @($d) + $missing; $d = Split-Path -Parent $d }
    foreach ($d in $missing) {
        New-Item -ItemType Directory -Path $d | Out-Null
        Push-Undo 'rmdir' $d
        Add-Manifest 'dir' $d
        Save-Manifest
    }
}

# Puts $Src at $Dest; an existing $Dest must be one this installer made, and is backed up first.
function Put-File([string]$Src, [string]$Dest) {
    Confirm-Dir (Split-Path -Parent $Dest)
    if (Test-Path -LiteralPath $Dest) {
        if (-not (Test-Manifest 'file' $Dest)) {
            Fail "$Dest already exists and was not put there by this installer." 'Move it somewhere else (or use its own uninstaller), then run the installer again.'
        }
        $script:Backups++
        $backup = Join-Path $Work "backup.$script:Backups"
        Copy-Item -LiteralPath $Dest -Destination $backup
        Push-Undo 'restore' $backup $Dest
    } else {
        Push-Undo 'rmfile' $Dest
        Add-Manifest 'file' $Dest
        Save-Manifest
    }
    Copy-Item -LiteralPath $Src -Destination $Dest -Force
}

function Remove-OwnFile([string]$Dest) {
    if (-not (Test-Path -LiteralPath $Dest)) { return }
    if (-not (Test-Manifest 'file' $Dest)) { Say "Note: $Dest was not put there by this installer, so it stays."; return }
    $script:Backups++
    $backup = Join-Path $Work "backup.$script:Backups"
    Move-Item -LiteralPath $Dest -Destination $backup
    Push-Undo 'restore' $backup $Dest
    [void]$ManifestLines.Remove("file $Dest")
    Save-Manifest
}

function New-Shortcut([string]$Path, [string]$Arguments) {
    $shell = New-Object -ComObject WScript.Shell
    $link = $shell.CreateShortcut($Path)
    $link.TargetPath = Join-Path $Venv 'Scripts\pythonw.exe'  # no console window behind the tray app
    $link.Arguments = $Arguments
    $link.WorkingDirectory = $env:USERPROFILE
    $link.IconLocation = "$IconFile,0"
    $link.Description = 'Describes the screen aloud and answers questions about it'
    $link.Save()
}

function Get-UserPath {
    $key = Get-Item -Path 'HKCU:\Environment'
    return [string]$key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
}
function Set-UserPath([string]$Value) {
    Set-ItemProperty -Path 'HKCU:\Environment' -Name 'Path' -Value $Value -Type ExpandString
}

function Get-UninstallValues {
    if (-not (Test-Path $UninstallKey)) { return $null }
    $key = Get-Item -Path $UninstallKey
    $values = @{}
    foreach ($name in $key.GetValueNames()) { $values[$name] = @($key.GetValue($name), $key.GetValueKind($name)) }
    return $values
}
function Set-UninstallValues($Values) {
    New-Item -Path $UninstallKey -Force | Out-Null
    foreach ($name in $Values.Keys) {
        New-ItemProperty -Path $UninstallKey -Name $name -Value $Values[$name][0] -PropertyType $Values[$name][1] -Force | Out-Null
    }
}

function Test-AppRunning {
    $running = Get-Process -ErrorAction SilentlyContinue | Where-Object {
        try { $_.Path -and $_.Path.StartsWith("$Venv\", [StringComparison]::OrdinalIgnoreCase) } catch { $false }
    }
    return [bool]$running
}

function Test-Python([string]$Exe, [string[]]$Prefix = @()) {
    $check = 'import sys, venv, ensurepip; print(sys.executable) if sys.version_info >= (3, 10) else sys.exit(1)'
    $r = Invoke-Native $Exe ($Prefix + @('-c', $check)) -Capture
    if ($r.Code -eq 0 -and $r.Output) { return $r.Output.Trim() }
    return $null
}

function Find-Python {
    if ($Python) { return (Test-Python $Python) }
    if (Get-Command py -ErrorAction SilentlyContinue) {
        foreach ($v in '-3.12', '-3.11', '-3.13', '-3.10') {
            $found = Test-Python 'py' @($v)
            if ($found) { return $found }
        }
    }
    $onPath = Get-Command python -ErrorAction SilentlyContinue
    if ($onPath -and $onPath.Source -notlike '*\WindowsApps\*') { return (Test-Python $onPath.Source) }
    $userInstall = Join-Path $env:LOCALAPPDATA 'Programs\Python\Python312\python.exe'
    if (Test-Path $userInstall) { return (Test-Python $userInstall) }
    return $null
}

# --- The steps ----------------------------------------------------------------------------------------

$Failed = $false
$Upgrade = $false
try {
    New-Item -ItemType Directory -Path $Work | Out-Null
    if (Test-Path -LiteralPath $Manifest) {
        Copy-Item -LiteralPath $Manifest -Destination (Join-Path $Work 'manifest.before')
        Push-Undo 'restore' (Join-Path $Work 'manifest.before') $Manifest
    }
    foreach ($file in 'uninstall.ps1', 'assistant.ico') {
        if (-not (Test-Path -LiteralPath (Join-Path $HereDir $file))) {
            Fail "The installer cannot find $file next to it." 'Run install.ps1 from inside the unpacked Assistant folder (installer\windows).'
        }
    }
    Say "Installing Assistant for $env:USERNAME into $AppDir"

    Step 'Checking what Windows needs to provide'
    $vcKey = 'HKLM:\SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64'
    $vcInstalled = $false
    try { $vcInstalled = (Get-ItemProperty -Path $vcKey -Name Installed -ErrorAction Stop).Installed -eq 1 } catch { }
    if ($vcInstalled) {
        Say 'The Microsoft Visual C++ runtime is installed.'
    } elseif ($SystemDeps) {
        Say 'Installing the Microsoft Visual C++ runtime with winget (Windows asks for permission).'
        $r = Invoke-Native 'winget' @('install', '--id', 'Microsoft.VCRedist.2015+.x64', '--silent', '--accept-package-agreements', '--accept-source-agreements')
        if ($r.Code -ne 0) { Fail 'Installing the Visual C++ runtime failed.' 'Install "Microsoft Visual C++ Redistributable (x64)" from microsoft.com, then run the installer again.' }
    } else {
        Say 'Missing: the Microsoft Visual C++ runtime, which torch needs. Install "Microsoft Visual C++'
        Say 'Redistributable (x64)" from microsoft.com, or run this installer again with -SystemDeps.'
    }

    Step 'Finding Python 3.10 or newer'
    $PythonExe = Find-Python
    if (-not $PythonExe -and $SystemDeps -and -not $Python) {
        Say 'Installing Python 3.12 for you with winget.'
        $r = Invoke-Native 'winget' @('install', '--id', 'Python.Python.3.12', '--scope', 'user', '--silent', '--accept-package-agreements', '--accept-source-agreements')
        if ($r.Code -ne 0) { Fail 'Installing Python with winget failed.' 'Install Python 3.12 from python.org, then run the installer again.' }
        $PythonExe = Find-Python
    }
    if (-not $PythonExe) {
        Fail 'No Python 3.10 or newer was found.' 'Install Python 3.12 from python.org (or run with -SystemDeps), then run the installer again.'
    }
    Say "Using $PythonExe."

    Step 'Choosing the build of torch'
    if ($Torch) {
        Say "Using the $Torch build, as asked."
    } else {
        $smi = if (Get-Command nvidia-smi -ErrorAction SilentlyContinue) { Invoke-Native 'nvidia-smi' @('-L') -Capture } else { @{ Code = 1; Output = '' } }
        $gpu = ($smi.Output -split "`n") | Where-Object { $_ -like 'GPU*' } | Select-Object -First 1
        if ($smi.Code -eq 0 -and $gpu) {
            $Torch = 'cuda'
            Say "Found an NVIDIA GPU ($gpu): installing the CUDA build of torch."
        } else {
            $Torch = 'cpu'
            Say 'No NVIDIA GPU found (nvidia-smi lists none): installing the CPU build of torch.'
            Say 'Descriptions take longer on the CPU. Force a build with -Torch cpu or -Torch cuda.'
        }
    }
    if (-not $TorchIndexSet) { $TorchIndex = if ($Torch -eq 'cuda') { $CudaIndex } else { '' } }
    $indexText = if ($TorchIndex) { $TorchIndex } else { 'the package index pip is set up to use' }
    Say "torch requirement: $TorchSpec, from $indexText."

    Step 'Checking the app to install'
    $extras = if ($Torch -eq 'cuda') { '[gpu]' } else { '' }
    if (-not $Source) {
        $AppSpec = "assistant$extras"
        Say 'Installing the app from the package index.'
    } elseif ((Test-Path -LiteralPath $Source -PathType Container) -and (Test-Path -LiteralPath (Join-Path $Source 'pyproject.toml'))) {
        $AppSpec = (Resolve-Path -LiteralPath $Source).Path + $extras
        Say "Installing the app from the folder $Source."
    } elseif ((Test-Path -LiteralPath $Source -PathType Leaf) -and $Source.EndsWith('.whl')) {
        $AppSpec = (Resolve-Path -LiteralPath $Source).Path + $extras
        Say "Installing the app from the wheel $Source."
    } else {
        Fail "-Source $Source is neither a folder with pyproject.toml nor a .whl file." 'Point -Source at the Assistant checkout or at a wheel built from it.'
    }

    if (Test-Path -LiteralPath "$Snapshot.partial") { Remove-Item -LiteralPath "$Snapshot.partial" -Recurse -Force }
    if (Test-Path -LiteralPath $Snapshot) {
        Step 'Restoring the environment an interrupted run left aside'
        if (Test-Path -LiteralPath $Venv) { Remove-Item -LiteralPath $Venv -Recurse -Force }
        Move-Item -LiteralPath $Snapshot -Destination $Venv
    }

    Step 'Checking that nothing is in the way'
    if (-not $AutostartChoice) { $AutostartChoice = $PreviousAutostart }
    $targets = @($Launcher, $Uninstaller, $IconFile, $StartMenuLink)
    if ($AutostartChoice -eq 'yes') { $targets += $StartupLink }
    foreach ($target in $targets) {
        if ((Test-Path -LiteralPath $target) -and -not (Test-Manifest 'file' $target)) {
            Fail "$target already exists and was not put there by this installer." 'Move it somewhere else (or use its own uninstaller), then run the installer again.'
        }
    }
    if ((Test-Path $UninstallKey) -and -not (Test-Manifest 'regkey' $UninstallKey)) {
        Fail 'Another program named Assistant is registered under Settings > Apps.' 'Uninstall it first, then run the installer again.'
    }
    if ((Test-Path -LiteralPath $Venv) -and -not (Test-Manifest 'tree' $Venv)) {
        Fail "$Venv already exists and was not put there by this installer." 'Move it somewhere else, then run the installer again.'
    }
    if (Test-Path -LiteralPath $Venv) {
        $Upgrade = $true
        if (Test-AppRunning) { Fail 'Assistant is running, so it cannot be upgraded now.' 'Quit it (tray icon menu, Quit), then run the installer again.' }
    }
    Say 'Nothing is in the way.'

    Confirm-Dir $AppDir
    Add-Manifest 'tree' $Venv
    Save-Manifest

    $venvWorks = $Upgrade -and (Invoke-Native $VenvPython @('-c', 'pass') -Capture).Code -eq 0
    if ($Upgrade -and ($Fresh -or $Torch -ne $PreviousTorch -or -not $venvWorks)) {
        Step 'Setting the current environment aside and building a new one'
        if ($PreviousTorch -and $Torch -ne $PreviousTorch) { Say "The torch build changes from $PreviousTorch to $Torch." }
        Move-Item -LiteralPath $Venv -Destination $Snapshot
        Push-Undo 'venv'
        if ((Invoke-Native $PythonExe @('-m', 'venv', $Venv)).Code -ne 0) { Fail 'Creating the Python environment failed.' 'Repair or reinstall Python, then run the installer again.' }
    } elseif ($Upgrade) {
        Step 'Upgrading the existing environment in place (a copy is kept until this run succeeds)'
        $r = Invoke-Native 'robocopy.exe' @($Venv, "$Snapshot.partial", '/E', '/COPY:DAT', '/MT:16', '/R:1', '/W:1', '/NFL', '/NDL', '/NJH', '/NJS', '/NP')
        if ($r.Code -ge 8) {
            Remove-Item -LiteralPath "$Snapshot.partial" -Recurse -Force -ErrorAction SilentlyContinue
            Fail 'There is no room to keep a copy of the current environment.' 'Free some disk space, then run the installer again.'
        }
        Move-Item -LiteralPath "$Snapshot.partial" -Destination $Snapshot
        Push-Undo 'venv'
    } else {
        Step "Creating the Python environment in $Venv"
        Push-Undo 'rmtree' $Venv
        if ((Invoke-Native $PythonExe @('-m', 'venv', $Venv)).Code -ne 0) { Fail 'Creating the Python environment failed.' 'Repair or reinstall Python, then run the installer again.' }
    }

    $pipArgs = @('-m', 'pip', 'install', '--disable-pip-version-check', '--no-input')
    if (-not $env:PIP_CACHE_DIR) { $pipArgs += '--no-cache-dir' }

    Step "Installing torch ($TorchSpec, $Torch build; this is the big download)"
    $torchArgs = $pipArgs
    if ($TorchIndex) { $torchArgs += @('--index-url', $TorchIndex) }
    if ((Invoke-Native $VenvPython ($torchArgs + $TorchSpec)).Code -ne 0) {
        Fail 'Installing torch failed.' 'Check the internet connection and the free disk space, then run the installer again (-Torch cpu is the smaller download).'
    }

    Step 'Installing the app and its libraries'
    if ((Invoke-Native $VenvPython ($pipArgs + @('--upgrade', '--upgrade-strategy', 'only-if-needed', $AppSpec))).Code -ne 0) {
        Fail 'Installing the app failed.' 'Check the internet connection (and -Source, if given), then run the installer again.'
    }
    if ($Source -and $Source.EndsWith('.whl')) {
        # pip keeps an installed version equal to the wheel's; a rebuilt wheel must still replace it.
        $wheel = (Resolve-Path -LiteralPath $Source).Path
        if ((Invoke-Native $VenvPython ($pipArgs + @('--force-reinstall', '--no-deps', $wheel))).Code -ne 0) {
            Fail 'Installing the app failed.' 'Check -Source, then run the installer again.'
        }
    }

    Step "Adding the command $Launcher"
    $cmd = Join-Path $Work 'assistant.cmd'
    # %LOCALAPPDATA% is expanded by cmd itself, so a user name in any alphabet survives.
    [IO.File]::WriteAllText($cmd, "@echo off`r`nrem Starts Assistant from its private environment. Added by its installer.`r`n`"%LOCALAPPDATA%\assistant\venv\Scripts\assistant.exe`" %*`r`n")
    Put-File $cmd $Launcher
    $versionRun = Invoke-Native $Launcher @('--version') -Capture
    if ($versionRun.Code -ne 0) { Fail 'The installed app does not start.' 'Run the installer again with -Fresh, and report it if it persists.' }
    $Version = ($versionRun.Output.Trim() -split ' ')[-1]
    Say "assistant $Version"
    $userPath = Get-UserPath
    if (-not (($userPath -split ';') -contains $BinDir)) {
        Push-Undo 'userpath' $userPath
        Set-UserPath ((@($userPath.TrimEnd(';'), $BinDir) | Where-Object { $_ }) -join ';')
        Add-Manifest 'pathentry' $BinDir
        Save-Manifest
        Say "Added $BinDir to your PATH (new terminals find the assistant command)."
    }

    Step 'Adding the Start-menu shortcut'
    Put-File (Join-Path $HereDir 'assistant.ico') $IconFile
    $link = Join-Path $Work 'menu.lnk'
    New-Shortcut $link '-m assistant run'
    Put-File $link $StartMenuLink

    if ($AutostartChoice -eq 'yes') {
        Step 'Starting Assistant when you sign in (Startup shortcut)'
        Put-File $link $StartupLink
    } else {
        Step 'Not starting Assistant when you sign in (turn it on with -Autostart)'
        Remove-OwnFile $StartupLink
    }

    Step 'Adding the uninstaller (Settings > Apps > Assistant)'
    Put-File (Join-Path $HereDir 'uninstall.ps1') $Uninstaller
    $old = Get-UninstallValues
    Push-Undo 'regkey' '' $old
    Add-Manifest 'regkey' $UninstallKey
    Save-Manifest
    $sizeKb = [int]((Get-ChildItem -LiteralPath $Venv -Recurse -File -ErrorAction SilentlyContinue | Measure-Object Length -Sum).Sum / 1KB)
    Set-UninstallValues @{
        DisplayName          = @('Assistant', 'String')
        DisplayVersion       = @($Version, 'String')
        Publisher            = @('Assistant contributors', 'String')
        DisplayIcon          = @($IconFile, 'String')
        InstallLocation      = @($AppDir, 'String')
        UninstallString      = @("powershell.exe -NoProfile -ExecutionPolicy Bypass -File `"$Uninstaller`" -PauseAtEnd", 'String')
        QuietUninstallString = @("powershell.exe -NoProfile -ExecutionPolicy Bypass -File `"$Uninstaller`"", 'String')
        NoModify             = @(1, 'DWord')
        NoRepair             = @(1, 'DWord')
        EstimatedSize        = @($sizeKb, 'DWord')
    }

    $ManifestTorch = $Torch
    $ManifestAutostart = $AutostartChoice
    Save-Manifest
    if (Test-Path -LiteralPath $Snapshot) { Remove-Item -LiteralPath $Snapshot -Recurse -Force }
    $Committed = $true
} catch {
    $Failed = $true
    Write-Host ''
    Write-Host "Error: $($_.Exception.Message)"
    $todo = $_.Exception.Data['ToDo']
    if ($todo) { Write-Host $todo } else { Write-Host 'Read the messages above, fix what they name, then run the installer again.' }
} finally {
    if (-not $Committed) { Invoke-Rollback }
    if (Test-Path -LiteralPath $Work) { Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue }
}
if ($Failed) {
    if ($PauseOnError) { [void](Read-Host 'Press Enter to close this window') }
    exit 1
}

if ($Upgrade) { Say ''; Say 'Assistant is upgraded; your settings are kept.' } else { Say ''; Say 'Assistant is installed.' }

Step 'Checking what this computer can do (assistant doctor)'
if ((Invoke-Native $Launcher @('doctor')).Code -ne 0) { Say 'The checks above name what to fix; Assistant itself is installed.' }

if ($ModelChoice -eq 'ask') {
    $ModelChoice = 'no'
    if ([Environment]::UserInteractive -and -not [Console]::IsInputRedirected) {
        Say ''
        Say 'Assistant needs its model (several GB) before it can describe anything.'
        $answer = Read-Host 'Download it now? [Y/n]'
        if ($answer -notmatch '^[nN]') { $ModelChoice = 'yes' }
    }
}
if ($ModelChoice -eq 'yes') {
    Step 'Downloading the model (assistant models download)'
    if ((Invoke-Native $Launcher @('models', 'download')).Code -ne 0) {
        Say 'The download did not finish; run "assistant models download" later to try again.'
    }
} else {
    Say ''
    Say 'The model is not downloaded now; run "assistant models download" before first use.'
}
Say ''
Say 'Start Assistant from the Start menu. To remove it: Settings > Apps > Assistant > Uninstall.'
exit 0
