"""Private files for key material that a library will only read from a path.

kafka-python's ``ssl_cafile``/``ssl_certfile``/``ssl_keyfile`` and uvicorn's ``ssl_certfile``/
``ssl_keyfile`` are paths, while a Java worker file names JKS or PKCS12 stores. The PEM taken out
of those stores goes into one folder per process, created ``0700`` under the system's temporary
folder, each file ``0600`` and written once per content. A private key is written encrypted with
a random password that exists only in this process's memory (handed to the library with the
path), so nothing on disk opens without the process. The folder is removed at exit.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import shutil
import tempfile
import threading

__all__ = ["PrivateFiles", "private_files"]


class PrivateFiles:
    """One private folder; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dir: str | None = None
        self._paths: dict[str, str] = {}
        self.key_password = secrets.token_urlsafe(32)

    def _folder(self) -> str:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="sluice-tls-")  # mode 0700
            atexit.register(shutil.rmtree, self._dir, True)
        return self._dir

    def write(self, content: bytes, name: str) -> str:
        """The path of a 0600 file holding ``content`` (the same path for the same content)."""
        digest = hashlib.sha256(content).hexdigest()[:24]
        with self._lock:
            path = self._paths.get(digest)
            if path is not None and os.path.exists(path):
                return path
            path = os.path.join(self._folder(), f"{digest}-{name}")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            self._paths[digest] = path
            return path

    def write_key(self, key_pem: str) -> tuple[str, str]:
        """``(path, password)`` of ``key_pem`` (unencrypted PEM) written encrypted."""
        from cryptography.hazmat.primitives.serialization import (
            BestAvailableEncryption,
            Encoding,
            PrivateFormat,
            load_pem_private_key,
        )

        key = load_pem_private_key(key_pem.encode(), None)
        encrypted = key.private_bytes(
            Encoding.PEM,
            PrivateFormat.PKCS8,
            BestAvailableEncryption(self.key_password.encode()),
        )
        # The same key encrypts differently each time: name it after the plain text.
        digest = hashlib.sha256(key_pem.encode()).hexdigest()[:24]
        with self._lock:
            path = self._paths.get("key-" + digest)
            if path is not None and os.path.exists(path):
                return path, self.key_password
        path = self.write(encrypted, "key.pem")
        with self._lock:
            self._paths["key-" + digest] = path
        return path, self.key_password


_files: PrivateFiles | None = None
_files_lock = threading.Lock()


def private_files() -> PrivateFiles:
    """The process's private folder."""
    global _files
    with _files_lock:
        if _files is None:
            _files = PrivateFiles()
        return _files
