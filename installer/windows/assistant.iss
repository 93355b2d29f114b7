; Inno Setup 6 script: wraps install.ps1 and a wheel of the app into one setup.exe for the current user.
;
; Build (on Windows, from the repository root):
;   py -m pip wheel --no-deps -w dist .
;   iscc /DAppVersion=0.1.0 installer\windows\assistant.iss      -> dist\assistant-setup-0.1.0.exe
;
; The wizard is Inno Setup's standard Win32 dialogs, which screen readers (NVDA, JAWS, Narrator) read
; and which work from the keyboard alone. It asks two questions (start at sign-in, download the model now),
; then runs install.ps1 in a console window whose every line a screen reader can read. install.ps1 does
; the work and registers the entry under Settings > Apps itself (pointing at uninstall.ps1), so this setup
; installs nothing of its own and leaves no second uninstaller behind. When install.ps1 fails it has
; already put everything back; setup then says so and stops.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define Wheel "assistant-" + AppVersion + "-py3-none-any.whl"

[Setup]
AppId={{5B0B8C2E-3C1F-4E2A-9A57-6B1D2E7F4A10}
AppName=Assistant
AppVersion={#AppVersion}
AppPublisher=Assistant contributors
AppComments=Describes the screen aloud and answers questions about it, on this computer.
PrivilegesRequired=lowest
CreateAppDir=no
Uninstallable=no
DisableProgramGroupPage=yes
DisableReadyPage=no
WizardStyle=modern
SetupIconFile=assistant.ico
OutputDir=..\..\dist
OutputBaseFilename=assistant-setup-{#AppVersion}
Compression=lzma2
SolidCompression=yes
ArchitecturesAllowed=x64compatible
MinVersion=10.0

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Messages]
ReadyLabel1=Setup is ready to install Assistant for you alone; no administrator rights are needed.
ReadyLabel2a=A window opens and shows each step as it happens. The first install downloads about 3 GB (more with an NVIDIA graphics card). Choose Install to begin.

[Tasks]
Name: "autostart"; Description: "Start Assistant when I sign in to Windows"; Flags: unchecked
Name: "model"; Description: "Download the description model now (about 4 GB; otherwise at first use)"
Name: "systemdeps"; Description: "Install Python 3.12 and the Visual C++ runtime with winget if they are missing"

[Files]
Source: "install.ps1"; Flags: dontcopy
Source: "uninstall.ps1"; Flags: dontcopy
Source: "assistant.ico"; Flags: dontcopy
Source: "..\..\dist\{#Wheel}"; Flags: dontcopy

[Code]
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  Params: String;
  ResultCode: Integer;
begin
  Result := '';
  ExtractTemporaryFile('install.ps1');
  ExtractTemporaryFile('uninstall.ps1');
  ExtractTemporaryFile('assistant.ico');
  ExtractTemporaryFile('{#Wheel}');
  Params := '-NoProfile -ExecutionPolicy Bypass -File "' + ExpandConstant('{tmp}\install.ps1') + '"'
    + ' -Source "' + ExpandConstant('{tmp}\{#Wheel}') + '" -PauseOnError';
  if WizardIsTaskSelected('autostart') then
    Params := Params + ' -Autostart'
  else
    Params := Params + ' -NoAutostart';
  if WizardIsTaskSelected('model') then
    Params := Params + ' -Yes'
  else
    Params := Params + ' -NoModel';
  if WizardIsTaskSelected('systemdeps') then
    Params := Params + ' -SystemDeps';
  if not Exec('powershell.exe', Params, '', SW_SHOWNORMAL, ewWaitUntilTerminated, ResultCode) then
    Result := 'Windows PowerShell could not be started, so nothing was installed. '
      + 'Run installer\windows\install.ps1 from the Assistant folder instead.'
  else if ResultCode <> 0 then
    Result := 'Assistant was not installed; the installer window said why, and nothing was changed. '
      + 'Fix what it named, then run this setup again.';
end;

[Run]
Filename: "{userprograms}\Assistant.lnk"; Description: "Start Assistant now"; Flags: postinstall shellexec nowait skipifsilent
