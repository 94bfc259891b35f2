#!/usr/bin/env python3
"""Check, offline, what the Community Enablement Service gave you: a signed checkpoint
of its event log, and that an event belongs to that log.

Needs only Python 3.11+ and the `cryptography` package (pip install cryptography); it
shares no code with the service, so it checks the service rather than trusting it.

    python verify_statement.py --public-key key.pem --statement statement.json
    python verify_statement.py --public-key key.pem --checkpoint checkpoint.json
    python verify_statement.py --public-key key.pem --checkpoint checkpoint.json \\
        --proof inclusion.json --leaf-hash 3f1c…
    python verify_statement.py --public-key key.pem --checkpoint new.json \\
        --old-checkpoint old.json --consistency consistency.json

- key.pem: `public_key_pem` of GET /api/audit/public-key (or the answer itself, as JSON).
- statement.json: a statement as received (GET /api/statements/{id}): its own signature
  over its canonical JSON (sorted keys, no spaces, UTF-8, `signature` left out) and the
  checkpoint it carries are checked; proofs given then check against that checkpoint.
- checkpoint.json: GET /api/audit/checkpoint, or the checkpoint a statement carries:
  {size, root, checkpoint, signature, key_id}.
- inclusion.json: GET /api/audit/proof/inclusion?position=N&size=<the checkpoint's size>.
- --leaf-hash: the event's leaf hash as you got it (the audit log's `leaf_hash`); without
  it the proof's own `leaf_hash` is checked.
- consistency.json: GET /api/audit/proof/consistency?from=<old size>&to=<new size>.

Exit status: 0 every check passed; 1 a check failed (the message says which); 2 the
command line or an input file is wrong. The algorithms are RFC 9162's verification
algorithms (§2.1.3.2 inclusion, §2.1.4.2 consistency); the checkpoint body is a C2SP
tlog-checkpoint (origin, size, base64 root) signed with Ed25519.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

VERIFIED, FAILED, USAGE = 0, 1, 2


class VerificationFailed(Exception):
    """A check failed: what was given is not what it claims."""


class BadInput(Exception):
    """An input is missing, unreadable or not of the expected shape."""


@dataclass(frozen=True)
class CheckedCheckpoint:
    origin: str
    size: int
    root: bytes
    key_id: str


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def key_id(public_key: Ed25519PublicKey) -> str:
    """The service's key id: hex of the first 8 bytes of SHA-256 of the raw key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def load_public_key(text: str) -> Ed25519PublicKey:
    """A PEM public key, or the service's JSON answer holding one."""
    if text.lstrip().startswith("{"):
        try:
            text = _field(json.loads(text), "public_key_pem", str)
        except json.JSONDecodeError as error:
            raise BadInput(f"the public key file is not JSON: {error}") from None
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise BadInput(f"the public key is not a PEM public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput("the public key is not an Ed25519 key")
    return key


def verify_checkpoint(
    public_key: Ed25519PublicKey, checkpoint: dict[str, Any]
) -> CheckedCheckpoint:
    """Check the checkpoint's signature over its body, and that the body states the
    size and root the JSON gives (so neither can be swapped for another)."""
    body = _field(checkpoint, "checkpoint", str)
    size = _field(checkpoint, "size", int)
    root = _hash(_field(checkpoint, "root", str), "root")
    try:
        signature = base64.b64decode(_field(checkpoint, "signature", str), validate=True)
    except binascii.Error:
        raise BadInput("the checkpoint's signature is not base64") from None
    named = checkpoint.get("key_id")
    if named is not None and named != key_id(public_key):
        raise VerificationFailed(
            f"the checkpoint was signed with key {named}, not with the key given "
            f"({key_id(public_key)})"
        )
    try:
        public_key.verify(signature, body.encode("utf-8"))
    except InvalidSignature:
        raise VerificationFailed("the checkpoint's signature does not verify") from None
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise VerificationFailed("the signed body is not a checkpoint (origin, size, root)")
    if lines[1] != str(size):
        raise VerificationFailed(f"the signed body states size {lines[1]}, the JSON {size}")
    if lines[2] != base64.b64encode(root).decode("ascii"):
        raise VerificationFailed("the signed body states another root than the JSON")
    return CheckedCheckpoint(origin=lines[0], size=size, root=root, key_id=key_id(public_key))


def verify_inclusion(
    leaf_hash: bytes, position: int, size: int, path: list[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2: the leaf at `position` (leaf index position - 1) is in the
    tree of `size` leaves whose root is `root`."""
    index = position - 1
    if not 0 <= index < size:
        raise VerificationFailed(f"position {position} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            raise VerificationFailed("the inclusion path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise VerificationFailed(
            f"the inclusion proof does not lead to the checkpoint's root: the event is not "
            f"at position {position} of that tree"
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> None:
    """RFC 9162 §2.1.4.2: the tree of `first` leaves is a prefix of the tree of
    `second` leaves (the log only grew between the two checkpoints)."""
    if not 0 < first <= second:
        raise VerificationFailed(f"no consistency from size {first} to size {second}")
    if first == second:
        if path or first_root != second_root:
            raise VerificationFailed("two checkpoints of one size with different roots")
        return
    if not path:
        raise VerificationFailed("the consistency proof is empty")
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationFailed("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise VerificationFailed(
            f"the log of size {second} does not extend the log of size {first}: "
            "an earlier event was changed, removed or reordered"
        )


def verify_statement(public_key: Ed25519PublicKey, statement: dict[str, Any]) -> dict[str, Any]:
    """Check a statement's Ed25519 signature over its canonical JSON; return the
    checkpoint it carries (to be checked next)."""
    signature = _field(statement, "signature", str)
    if statement.get("key_id") != key_id(public_key):
        raise VerificationFailed(
            f"the statement was signed with key {statement.get('key_id')}, "
            f"not with the given key {key_id(public_key)}"
        )
    unsigned = {name: value for name, value in statement.items() if name != "signature"}
    canonical = json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    try:
        public_key.verify(base64.b64decode(signature, validate=True), canonical)
    except (InvalidSignature, binascii.Error):
        raise VerificationFailed(
            "the statement's signature does not match its content: it was altered"
        ) from None
    return _field(statement, "checkpoint", dict)


def check(args: argparse.Namespace) -> list[str]:
    """Run every check the arguments ask for; return what was verified."""
    public_key = load_public_key(_read(args.public_key))
    done = []
    if args.statement is not None:
        statement = _json(args.statement)
        checkpoint = verify_statement(public_key, statement)
        done.append(
            f"statement {statement.get('id')} for {statement.get('month')} is signed and unaltered"
        )
    elif args.checkpoint is not None:
        checkpoint = _json(args.checkpoint)
    else:
        raise BadInput("give --statement or --checkpoint")
    checked = verify_checkpoint(public_key, checkpoint)
    done.append(
        f"checkpoint of {checked.origin}: size {checked.size}, root {checked.root.hex()}, "
        f"signed by key {checked.key_id}"
    )
    if args.proof is not None:
        proof = _json(args.proof)
        position, size = _field(proof, "position", int), _field(proof, "size", int)
        if size != checked.size:
            raise VerificationFailed(
                f"the proof is for a tree of size {size}, the checkpoint's is {checked.size}: "
                f"ask for /api/audit/proof/inclusion?position={position}&size={checked.size}"
            )
        leaf = _hash(args.leaf_hash or _field(proof, "leaf_hash", str), "leaf hash")
        if args.leaf_hash and proof.get("leaf_hash") not in (None, leaf.hex()):
            raise VerificationFailed("the proof is for another leaf than the one given")
        path = [_hash(item, "path") for item in _field(proof, "path", list)]
        verify_inclusion(leaf, position, size, path, checked.root)
        done.append(f"event with leaf hash {leaf.hex()} is at position {position} of that log")
    if args.consistency is not None:
        if args.old_checkpoint is None:
            raise BadInput("--consistency needs --old-checkpoint")
        old = verify_checkpoint(public_key, _json(args.old_checkpoint))
        proof = _json(args.consistency)
        if (_field(proof, "from", int), _field(proof, "to", int)) != (old.size, checked.size):
            raise VerificationFailed(
                f"the consistency proof is not from size {old.size} to size {checked.size}"
            )
        path = [_hash(item, "path") for item in _field(proof, "path", list)]
        verify_consistency(old.size, checked.size, old.root, checked.root, path)
        done.append(f"the log of size {checked.size} extends the log of size {old.size}")
    return done


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        description="Check a statement or a checkpoint of the service's event log, and "
        "proofs against it.",
        epilog="Exit status: 0 verified, 1 a check failed, 2 wrong arguments or input.",
    )
    cli.add_argument("--public-key", required=True, type=Path, help="PEM (or its JSON answer)")
    cli.add_argument("--statement", type=Path, help="a statement JSON as received")
    cli.add_argument("--checkpoint", type=Path, help="checkpoint JSON (or --statement)")
    cli.add_argument("--proof", type=Path, help="inclusion proof JSON for the checkpoint's size")
    cli.add_argument("--leaf-hash", help="the event's leaf hash (hex) the proof must be for")
    cli.add_argument("--old-checkpoint", type=Path, help="an earlier checkpoint JSON")
    cli.add_argument("--consistency", type=Path, help="consistency proof JSON, old to new")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        done = check(args)
    except BadInput as error:
        print(f"verify_statement: {error}", file=sys.stderr)
        return USAGE
    except VerificationFailed as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return FAILED
    for line in done:
        print(f"OK: {line}")
    return VERIFIED


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read {path}: {error}") from None


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(_read(path))
    except json.JSONDecodeError as error:
        raise BadInput(f"{path} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise BadInput(f"{path} is not a JSON object")
    return value


def _field(value: dict[str, Any], name: str, kind: type) -> Any:
    found = value.get(name)
    if not isinstance(found, kind) or (kind is int and isinstance(found, bool)):
        raise BadInput(f"expected {name!r} to be a {kind.__name__}, found {found!r}")
    return found


def _hash(text: str, what: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except (ValueError, TypeError):
        value = b""
    if len(value) != 32:
        raise BadInput(f"the {what} is not a 32-byte hex hash: {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
