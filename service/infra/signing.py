"""The key that signs the log's checkpoints (docs/explanation/audit.md): Ed25519, from the PEM file
named by CHECKPOINT_SIGNING_KEY_FILE, or else a development key made on first use under
var/ (a warning in the log says so; `make run` uses it).

Why Ed25519: small keys and signatures, deterministic signing (no random nonce to get
wrong), and what C2SP signed notes and Sigstore use, so a partner's tooling has it.

`key_id` names the key in answers and in stored checkpoints: the hex of the first 8
bytes of SHA-256 over the raw 32-byte public key. It is short enough to print on a
statement and, at 64 bits, enough to tell our keys apart; it is not the 4-byte key hash
of a C2SP signed note (which also hashes the note's name), since the checkpoint is
signed and served as a body plus a detached signature, not as a signed note.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

ALGORITHM = "Ed25519"
DEV_KEY_FILE = "var/checkpoint-signing-key.pem"


class SigningKeyError(ValueError):
    """The key file is missing, unreadable or not an unencrypted Ed25519 private key."""


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise SigningKeyError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def create_key_file(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Make a new key at `path` (readable by its owner only), unless one is there:
    several processes starting at once all end up with the one key that won."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(private_key_pem(Ed25519PrivateKey.generate()))
    try:
        os.link(temporary, target)  # fails if another process made it first
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return load_private_key(target)


class Signer:
    """Signs with one Ed25519 key and describes its public half."""

    def __init__(self, private_key: Ed25519PrivateKey):
        self._private_key = private_key
        self.public_key: Ed25519PublicKey = private_key.public_key()
        self.key_id = public_key_id(self.public_key)
        self.public_key_pem = self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    @classmethod
    def from_file(cls, key_file: str | None, dev_key_file: str = DEV_KEY_FILE) -> Signer:
        """The configured key, or the development key (made if missing)."""
        if key_file:
            return cls(load_private_key(key_file))
        made = not Path(dev_key_file).exists()
        signer = cls(load_private_key(dev_key_file) if not made else create_key_file(dev_key_file))
        log.warning(
            "checkpoints: CHECKPOINT_SIGNING_KEY_FILE is not set; signing with the development "
            "key %s (%s, key id %s): set it to a key of your own in production",
            dev_key_file,
            "made now" if made else "made earlier",
            signer.key_id,
        )
        return signer

    def sign(self, data: bytes) -> bytes:
        return self._private_key.sign(data)

    def sign_base64(self, data: bytes) -> str:
        return base64.b64encode(self.sign(data)).decode("ascii")

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self.public_key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def describe(self) -> dict[str, str]:
        """What `GET /api/audit/public-key` answers."""
        return {
            "algorithm": ALGORITHM,
            "public_key_pem": self.public_key_pem,
            "key_id": self.key_id,
        }


def key_id(raw_public_key: bytes) -> str:
    """Hex of the first 8 bytes of SHA-256 over the raw public key (module docstring)."""
    return hashlib.sha256(raw_public_key).digest()[:8].hex()


def public_key_id(key: Ed25519PublicKey) -> str:
    return key_id(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"not an Ed25519 public key but a {type(key).__name__}")
    return key
