<#
.SYNOPSIS
Removes what Assistant's installer added for this Windows user, as listed in its manifest, and nothing else.

.DESCRIPTION
Removes the private Python environment, the Start-menu and Startup shortcuts, the "assistant" command and
its PATH entry, and the entry under Settings > Apps. Settings and the downloaded model stay unless -Purge.

.PARAMETER Purge
Also remove the settings, the downloaded model and Assistant's cache.
.PARAMETER PauseAtEnd
Wait for Enter before closing (used when started from Settings > Apps, so the result can be read).
#>
[CmdletBinding()]
param([switch]$Purge, [switch]$PauseAtEnd)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

function Say([string]$Text) { Write-Host $Text }
function Step([string]$Text) { Write-Host ''; Write-Host "==> $Text" }
function Finish([int]$Code) {
    if ($PauseAtEnd) { [void](Read-Host 'Press Enter to close this window') }
    exit $Code
}

# platformdirs keeps the settings in the same folder as the app's data on Windows.
$AppDir = Join-Path $env:LOCALAPPDATA 'assistant'
$Venv = Join-Path $AppDir 'venv'
$Manifest = Join-Path $AppDir 'install-manifest.txt'
$UninstallKey = 'HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\Assistant'

$running = Get-Process -ErrorAction SilentlyContinue | Where-Object {
    try { $_.Path -and $_.Path.StartsWith("$Venv\", [StringComparison]::OrdinalIgnoreCase) } catch { $false }
}
if ($running) {
    Say 'Error: Assistant is running, so it cannot be removed now.'
    Say 'Quit it (tray icon menu, Quit), then run the uninstaller again.'
    Finish 1
}

$files = @()
$dirs = @()
$pathEntries = @()
$hasKey = $false
if (Test-Path -LiteralPath $Manifest) {
    foreach ($line in Get-Content -LiteralPath $Manifest -Encoding UTF8) {
        if (-not $line -or $line.StartsWith('#') -or $line.StartsWith('option ')) { continue }
        $kind, $path = $line.Split(' ', 2)
        switch ($kind) {
            'file' { $files += $path }
            'dir' { $dirs += $path }
            'pathentry' { $pathEntries += $path }
            'regkey' { $hasKey = $path -eq $UninstallKey }
            'tree' {
                if ($path -ne $Venv) {
                    Say "Error: The manifest $Manifest names an unexpected folder ($path)."
                    Say "Remove Assistant's files by hand, or reinstall and uninstall again."
                    Finish 1
                }
            }
        }
    }
    Say "Removing Assistant (as listed in $Manifest)"
} elseif (-not $Purge) {
    Say "Assistant is not installed for $env:USERNAME`: there is no $Manifest."
    Finish 0
}

Step 'Removing the shortcuts, the command and the entry in Settings > Apps'
foreach ($file in $files) {
    if (Test-Path -LiteralPath $file -PathType Leaf) {
        Say "Removing $file"
        Remove-Item -LiteralPath $file -Force
    }
}
if ($pathEntries) {
    $key = Get-Item -Path 'HKCU:\Environment'
    $raw = [string]$key.GetValue('Path', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $kept = ($raw -split ';') | Where-Object { $_ -and ($pathEntries -notcontains $_) }
    Set-ItemProperty -Path 'HKCU:\Environment' -Name 'Path' -Value ($kept -join ';') -Type ExpandString
    Say "Removed $($pathEntries -join ', ') from your PATH."
}
if ($hasKey -and (Test-Path $UninstallKey)) { Remove-Item -Path $UninstallKey -Recurse -Force }

Step 'Removing the private Python environment'
foreach ($folder in $Venv, "$Venv.previous", "$Venv.previous.partial") {
    if (Test-Path -LiteralPath $folder) {
        Say "Removing $folder"
        Remove-Item -LiteralPath $folder -Recurse -Force
    }
}
if (Test-Path -LiteralPath $Manifest) { Remove-Item -LiteralPath $Manifest -Force }

if ($Purge) {
    Step 'Removing the settings, the downloaded models and the cache (-Purge)'
    if (Test-Path -LiteralPath $AppDir) {
        Say "Removing $AppDir"
        Remove-Item -LiteralPath $AppDir -Recurse -Force
    }
    # The models sit in the Hugging Face cache (found the way huggingface_hub finds it); the cache is shared.
    $hub = if ($env:HF_HUB_CACHE) { $env:HF_HUB_CACHE } elseif ($env:HF_HOME) { Join-Path $env:HF_HOME 'hub' } else { Join-Path $env:USERPROFILE '.cache\huggingface\hub' }
    foreach ($pattern in 'models--Salesforce--blip2-*', 'models--Systran--faster-whisper-*') {
        foreach ($where in $hub, (Join-Path $hub '.locks')) {
            Get-ChildItem -LiteralPath $where -Directory -Filter $pattern -ErrorAction SilentlyContinue | ForEach-Object {
                Say "Removing $($_.FullName)"
                Remove-Item -LiteralPath $_.FullName -Recurse -Force
            }
        }
    }
}

# Folders the installer created, deepest first, and only when nothing else lives in them now.
for ($i = $dirs.Count - 1; $i -ge 0; $i--) {
    $dir = $dirs[$i]
    if ((Test-Path -LiteralPath $dir) -and -not (Get-ChildItem -LiteralPath $dir -Force)) {
        Remove-Item -LiteralPath $dir -Force
    }
}

Say ''
if ($Purge) {
    Say 'Assistant is removed, with its settings and model.'
} else {
    Say "Assistant is removed. Your settings ($AppDir) and the downloaded model stay;"
    Say 'run uninstall.ps1 -Purge to remove them too.'
}
Finish 0
