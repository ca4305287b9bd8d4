"""corptls._exports per shell: how awkward values are quoted (or refused: what cmd cannot carry),
and which shell an environment and platform point to."""

import json

from corptls import _exports

WINDOWS_POWERSHELL = r"C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules"
POWERSHELL_7 = (
    r"C:\Users\u\Documents\PowerShell\Modules;C:\Program Files\PowerShell\Modules;"
    r"c:\program files\powershell\7\Modules;C:\Program Files\WindowsPowerShell\Modules"
)
out: dict[str, object] = {}
for shell in ("bash", "fish", "powershell", "cmd"):
    for value in ("C:\\Users\\O'Brien\\bundle.pem", "a\u2019b", "50%", 'x"y'):
        try:
            out[f"{shell} {value}"] = _exports.line(shell, "V", value)
        except ValueError as exc:
            out[f"{shell} {value}"] = f"ValueError: {exc}"
detect = [
    ({"SHELL": "/usr/bin/fish"}, "linux"),
    ({"SHELL": "/bin/zsh"}, "darwin"),
    ({}, "linux"),
    ({"PSModulePath": WINDOWS_POWERSHELL}, "win32"),
    ({"PSModulePath": POWERSHELL_7}, "win32"),
    ({"SHELL": "/usr/bin/fish"}, "win32"),
]
out["detect"] = [_exports.detect_shell(env, platform) for env, platform in detect]
print(json.dumps(out))
