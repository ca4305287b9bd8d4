"""Runs in the Windows CPython: edits HKLM's certificate system stores through the registry.

    winstore.py add STORE DER_HEX     add a certificate, then report whether the store shows it
    winstore.py remove STORE SHA1     remove it (no error when absent)
    winstore.py has STORE SHA1        {"present": bool}
    winstore.py clean                 remove every test certificate (subject O=CorpTLS Tests)
                                      from Root, CA and Disallowed

A certificate is the key ...\\SystemCertificates\\<STORE>\\Certificates\\<SHA-1 of the DER,
upper-case hex>, value Blob (REG_BINARY) = one property: le32(32) le32(1) le32(len) DER
(property 32 = CERT_CERT_PROP_ID, the encoded certificate).
"""

import hashlib
import json
import ssl
import struct
import sys
import winreg

BASE = r"SOFTWARE\Microsoft\SystemCertificates"
TEST_ORGANIZATION = b"CorpTLS Tests"


def key_path(store, sha1=""):
    return "\\".join(filter(None, (BASE, store, "Certificates", sha1)))


def add(store, der):
    sha1 = hashlib.sha1(der).hexdigest().upper()
    blob = struct.pack("<III", 32, 1, len(der)) + der
    with winreg.CreateKeyEx(winreg.HKEY_LOCAL_MACHINE, key_path(store, sha1), 0, winreg.KEY_WRITE) as key:
        winreg.SetValueEx(key, "Blob", 0, winreg.REG_BINARY, blob)
    # CertOpenSystemStore (the current user's view, which includes the local machine's) must see it.
    visible = any(cert == der for cert, _, _ in ssl.enum_certificates(store.upper()))
    return {"sha1": sha1, "visible": visible}


def remove(store, sha1):
    try:
        winreg.DeleteKey(winreg.HKEY_LOCAL_MACHINE, key_path(store, sha1.upper()))
        return {"removed": True}
    except FileNotFoundError:
        return {"removed": False}


def has(store, sha1):
    try:
        winreg.CloseKey(winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_path(store, sha1.upper())))
        return {"present": True}
    except FileNotFoundError:
        return {"present": False}


def clean():
    removed = []
    for store in ("Root", "CA", "Disallowed"):
        try:
            key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_path(store))
        except FileNotFoundError:
            continue
        with key:
            names = []
            index = 0
            while True:
                try:
                    names.append(winreg.EnumKey(key, index))
                except OSError:
                    break
                index += 1
        for name in names:
            try:
                with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_path(store, name)) as cert:
                    blob, _ = winreg.QueryValueEx(cert, "Blob")
            except OSError:
                continue
            if TEST_ORGANIZATION in bytes(blob):
                winreg.DeleteKey(winreg.HKEY_LOCAL_MACHINE, key_path(store, name))
                removed.append(f"{store}\\{name}")
    return {"removed": removed}


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "add":
        result = add(args[0], bytes.fromhex(args[1]))
    elif command == "remove":
        result = remove(args[0], args[1])
    elif command == "has":
        result = has(args[0], args[1])
    elif command == "clean":
        result = clean()
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
