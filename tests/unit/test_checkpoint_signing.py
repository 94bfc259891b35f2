"""The checkpoint signing key (service/infra/signing.py), its settings, the checkpoint
body, and scripts/verify_statement.py's algorithms on Certificate Transparency's
known answers."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import logging
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.audit.checkpoints import Checkpoint, checkpoint_body
from service.infra.config import ConfigurationError, Settings
from service.infra.signing import Signer, create_key_file, load_private_key, private_key_pem
from tests.support.merkle_vectors import CT_CONSISTENCY, CT_INCLUSION, CT_LEAVES, CT_ROOTS

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_statement.py"


def load_script():
    spec = importlib.util.spec_from_file_location("verify_statement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_a_key_file_is_made_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "var" / "key.pem"
    first = create_key_file(path)
    again = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert private_key_pem(first) == private_key_pem(again) == path.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["key.pem"]


def test_without_a_key_file_a_dev_key_is_made_and_the_log_says_so(tmp_path, caplog):
    dev = tmp_path / "var" / "checkpoint-signing-key.pem"
    with caplog.at_level(logging.WARNING):
        made = Signer.from_file(None, dev_key_file=str(dev))
        reused = Signer.from_file(None, dev_key_file=str(dev))
    assert made.key_id == reused.key_id
    messages = [record.getMessage() for record in caplog.records]
    assert "CHECKPOINT_SIGNING_KEY_FILE is not set" in messages[0]
    assert "made now" in messages[0] and "made earlier" in messages[1]


def test_the_key_id_is_the_first_8_bytes_of_sha256_of_the_raw_public_key(tmp_path):
    key = Ed25519PrivateKey.generate()
    (tmp_path / "k.pem").write_bytes(private_key_pem(key))
    signer = Signer.from_file(str(tmp_path / "k.pem"))
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert signer.key_id == hashlib.sha256(raw).hexdigest()[:16]
    described = signer.describe()
    assert described["algorithm"] == "Ed25519"
    loaded = serialization.load_pem_public_key(described["public_key_pem"].encode())
    loaded.verify(signer.sign(b"body"), b"body")


def test_a_checkpoint_body_is_the_c2sp_tlog_checkpoint():
    root = bytes(range(32))
    body = checkpoint_body("ces.example.org/log", 12, root)
    assert body == f"ces.example.org/log\n12\n{base64.b64encode(root).decode()}\n"
    checkpoint = Checkpoint(12, root, body, "c2ln", datetime(2025, 1, 2, tzinfo=UTC), "ab")
    assert checkpoint.as_json() == {
        "size": 12,
        "root": root.hex(),
        "checkpoint": body,
        "signature": "c2ln",
        "timestamp": "2025-01-02T00:00:00+00:00",
        "key_id": "ab",
    }


def test_checkpoint_settings_are_checked_at_start_up(tmp_path):
    good = tmp_path / "good.pem"
    good.write_bytes(private_key_pem(Ed25519PrivateKey.generate()))
    settings = Settings.from_environment(
        {
            "CHECKPOINT_SIGNING_KEY_FILE": str(good),
            "CHECKPOINT_ORIGIN": "ces.example.org/log",
            "CHECKPOINT_INTERVAL_SECONDS": "60",
        }
    ).checkpoints
    assert (settings.signing_key_file, settings.origin) == (str(good), "ces.example.org/log")
    assert settings.interval_seconds == 60
    defaults = Settings.from_environment({}).checkpoints
    assert defaults.signing_key_file is None and defaults.interval_seconds == 300
    assert defaults.origin  # the host name

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "rsa.pem").write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    for env, named in (
        ({"CHECKPOINT_SIGNING_KEY_FILE": str(tmp_path / "missing.pem")}, "cannot read"),
        ({"CHECKPOINT_SIGNING_KEY_FILE": str(tmp_path / "rsa.pem")}, "not an Ed25519 key"),
        ({"CHECKPOINT_ORIGIN": "two\nlines"}, "CHECKPOINT_ORIGIN"),
        ({"CHECKPOINT_INTERVAL_SECONDS": "0"}, "CHECKPOINT_INTERVAL_SECONDS"),
        ({"CHECKPOINT_INTERVAL_SECONDS": "soon"}, "CHECKPOINT_INTERVAL_SECONDS"),
    ):
        with pytest.raises(ConfigurationError, match=named):
            Settings.from_environment(env)


def test_an_encrypted_key_is_refused(tmp_path):
    path = tmp_path / "locked.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(ValueError, match="not an unencrypted PEM private key"):
        load_private_key(path)


def test_the_partners_script_verifies_ct_known_answers():
    script = load_script()
    leaves = [hashlib.sha256(b"\x00" + data).digest() for data in CT_LEAVES]
    roots = [bytes.fromhex(value) for value in CT_ROOTS]
    for index, size, path in CT_INCLUSION:
        proof = [bytes.fromhex(value) for value in path]
        script.verify_inclusion(leaves[index], index + 1, size, proof, roots[size - 1])
        with pytest.raises(script.VerificationFailed):
            script.verify_inclusion(leaves[index - 1], index + 1, size, proof, roots[size - 1])
    for first, second, path in CT_CONSISTENCY:
        proof = [bytes.fromhex(value) for value in path]
        script.verify_consistency(first, second, roots[first - 1], roots[second - 1], proof)
        if first < second:
            with pytest.raises(script.VerificationFailed):
                script.verify_consistency(first, second, roots[first], roots[second - 1], proof)
