"""`sebaya secret rotate`: a new installation secret, the same root key (envelope keys).

The root key every key derives from is stored wrapped under the secret (``bot.core.keyring``),
so rotating re-wraps 32 bytes in one transaction: no user key, invite, hash or sealed value
changes. The new secret never comes from the command line (``ps`` would show it): from
``--new-secret-file FILE`` or ``SEBAYA_NEW_SECRET``. The order makes a crash harmless:

1. the new ``.secret`` is written beside the old one as ``.secret.new`` (0600, synced);
2. one transaction re-wraps the root key, updates the fingerprint and writes an audit row;
3. ``.secret.new`` replaces ``.secret`` (an atomic rename).

Killed before 2 commits: the old secret still works and ``.secret.new`` is removed on the next
try. Killed between 2 and 3: the old secret is refused at start with the usual message, and
running the same command again sees the database already opens with the new secret and
finishes step 3.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import SECRET_ENV, Config, load_secret
from bot.core.identity import IdentityVault
from bot.core.keyring import SCHEME
from bot.errors import SebayaError
from bot.operations import secret_problem
from bot.store import audit, keyring, running
from bot.store.db import SecretMismatch
from bot.store.port import open_store

NEW_SECRET_ENV = "SEBAYA_NEW_SECRET"
ENVIRONMENT, FILE = "environment", "file"


class RotateError(SebayaError):
    """The rotation was refused; nothing changed."""


@dataclass(frozen=True)
class Rotation:
    kept_in: str  # where the secret lives: FILE (the .secret file) or ENVIRONMENT
    secret_file: Path
    origin: str  # the root key's origin: 'legacy' (made before envelope keys) or 'random'
    finished_earlier: bool = False  # an interrupted rotation's database step had committed


def secret_file(config: Config) -> Path:
    return config.database_path.with_name(config.database_path.name + ".secret")


def new_secret_from(path: Path | None, env: dict[str, str]) -> str:
    """The new secret, from a file or SEBAYA_NEW_SECRET, never from argv."""
    value = env.get(NEW_SECRET_ENV, "").strip()
    if path is not None and value:
        raise RotateError(f"pilih satu: --new-secret-file atau {NEW_SECRET_ENV}, bukan "
                          f"keduanya (choose one: --new-secret-file or {NEW_SECRET_ENV})")
    if path is not None:
        if not path.is_file():
            raise RotateError(
                f"berkas rahasia baru tidak ada: {path}. Tulis rahasia baru ke sebuah berkas "
                "(jangan di baris perintah: terlihat di ps) (--new-secret-file takes a FILE "
                "holding the new secret, never the secret itself)")
        return path.read_text(encoding="utf-8").strip()
    if not value:
        raise RotateError(
            f"rahasia baru belum diberikan: --new-secret-file FILE atau {NEW_SECRET_ENV} "
            f"(give the new secret in a file or in {NEW_SECRET_ENV}, never on the command line)")
    return value


def current_secret(config: Config, env: dict[str, str]) -> tuple[bytes, str]:
    """The secret in use and where it is kept (as the bot reads it; none is generated)."""
    if env.get(SECRET_ENV, "").strip():
        return load_secret(config, env), ENVIRONMENT
    if secret_file(config).exists():
        return load_secret(config, env), FILE
    raise RotateError(f"belum ada rahasia instalasi ({SECRET_ENV} kosong dan "
                      f"{secret_file(config)} tidak ada): jalankan bot sekali dulu (no secret "
                      "yet: start the bot once)")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _install(config: Config, new: str) -> None:
    """Step 3 (and 1 when it was skipped): the new secret becomes .secret, atomically."""
    target = secret_file(config)
    staged = target.with_name(target.name + ".new")
    if not staged.exists() or staged.read_text(encoding="ascii").strip() != new:
        _write_private(staged, new)
    os.replace(staged, target)
    _sync_dir(target.parent)


async def rotate(config: Config, new: str, env: dict[str, str] | None = None,
                 before_commit: Callable[[], Awaitable[None]] | None = None) -> Rotation:
    """Re-wrap the root key under ``new``; see the module docstring for the order of steps.
    ``before_commit`` runs inside the transaction (tests interrupt the rotation there)."""
    env = dict(os.environ) if env is None else env
    old, kept_in = current_secret(config, env)
    if new.encode() == old:
        raise RotateError("rahasia baru sama dengan yang lama (the new secret is the old one)")
    problem = secret_problem(new)
    if problem is not None:
        raise RotateError(f"rahasia baru ditolak: {problem} (the new secret is refused)")
    if not new.isascii() or any(c.isspace() for c in new):
        raise RotateError("rahasia baru ditolak: pakai huruf, angka dan tanda baca ASCII "
                          "tanpa spasi (the new secret must be printable ASCII, no spaces)")
    url = config.database_url()
    if url:
        return await _rotate_at(config, url, old, new, kept_in, before_commit)
    if not config.database_path.exists():
        raise RotateError(f"{config.database_path} belum ada: jalankan bot sekali dulu (the "
                          "database does not exist yet)")
    try:
        async with running.alone(config.database_path):
            return await _rotate_at(config, None, old, new, kept_in, before_commit)
    except running.BotRunning as exc:
        raise _running_error() from exc


def _running_error() -> RotateError:
    return RotateError("bot sedang berjalan pada database ini: hentikan dulu (sudo systemctl "
                       "stop sebaya; semua worker bila PostgreSQL), lalu ulangi. Tidak ada yang "
                       "diubah. (the bot is running: stop it first; nothing changed)")


async def _rotate_at(config: Config, url: str | None, old: bytes, new: str, kept_in: str,
                     before_commit: Callable[[], Awaitable[None]] | None) -> Rotation:
    vault = IdentityVault(old, config.school_id)
    staged = secret_file(config).with_name(secret_file(config).name + ".new")
    try:
        store = await open_store(config.database_path, url, vault,
                                 school=config.school_id)
    except SecretMismatch:
        return await _finish_earlier(config, url, new, kept_in)
    try:
        if url:
            async with running.alone(store):
                origin = await _rewrap(store, vault, new, kept_in, staged, before_commit)
        else:
            origin = await _rewrap(store, vault, new, kept_in, staged, before_commit)
    except running.BotRunning as exc:
        raise _running_error() from exc
    finally:
        await store.close()
    if kept_in == FILE:
        _install(config, new)
    return Rotation(kept_in, secret_file(config), origin)


async def _rewrap(store, vault: IdentityVault, new: str, kept_in: str, staged: Path,
                  before_commit: Callable[[], Awaitable[None]] | None) -> str:
    if kept_in == FILE:
        _write_private(staged, new)  # step 1: the new secret is on disk before it is needed
    try:
        async with store.transaction() as db:
            row = await keyring.read(db)
            if row is None:
                raise RotateError("database ini belum punya kunci akar (the database has no "
                                  "keyring row): jalankan sebaya migrate dulu")
            wrapped = vault.wrap_root(new.encode())
            check = IdentityVault(new.encode(), vault.school)
            check.unlock(wrapped, row.scheme)  # the new secret opens the same root, before
            # it is stored
            if check.user_key("check", "0") != vault.user_key("check", "0"):
                raise RotateError("pemeriksaan kunci gagal: tidak ada yang diubah")
            if not await keyring.rewrap(db, row.wrapped, wrapped, dt.datetime.now(dt.UTC)):
                raise RotateError("kunci akar berubah selama rotasi: tidak ada yang diubah")
            await db.execute("UPDATE meta SET value = ? WHERE key = 'secret_fingerprint'",
                             (check.fingerprint(),))
            await audit.record(db, None, "secret_rotated", {
                "scheme": SCHEME, "kept_in": kept_in, "origin": row.origin},
                dt.datetime.now(dt.UTC))
            if before_commit is not None:
                await before_commit()
    except BaseException:
        if kept_in == FILE:
            staged.unlink(missing_ok=True)  # the old secret stays the one
        raise
    return row.origin


async def _finish_earlier(config: Config, url: str | None, new: str, kept_in: str) -> Rotation:
    """The old secret is refused: if the new one opens the database, an earlier rotation
    committed and was cut before the secret file was replaced; finish that."""
    vault = IdentityVault(new.encode(), config.school_id)
    try:
        store = await open_store(config.database_path, url, vault,
                                 school=config.school_id)
    except SecretMismatch as exc:
        raise RotateError(
            f"rahasia yang sekarang dipakai ({SECRET_ENV} atau {secret_file(config).name}) "
            "tidak membuka database ini, dan rahasia baru juga tidak: tidak ada yang diubah. "
            "Pulihkan rahasia yang benar dulu (the current secret does not open this database; "
            "nothing changed)") from exc
    try:
        async with store.read() as db:
            row = await keyring.read(db)
    finally:
        await store.close()
    if kept_in == FILE:
        _install(config, new)
    return Rotation(kept_in, secret_file(config), row.origin if row else "legacy",
                    finished_earlier=True)


def next_steps(rotation: Rotation, backup_hint: str) -> list[str]:
    """What the operator must do now, Bahasa Indonesia first."""
    lines = []
    if rotation.finished_earlier:
        lines.append("Rotasi sebelumnya sudah tercatat di database tetapi terputus; kini "
                     "diselesaikan. (An earlier, interrupted rotation was finished.)")
    lines.append("Rahasia instalasi sudah diganti: kunci akar dibungkus ulang dalam satu "
                 "transaksi; kunci siswa, undangan dan cerita tersegel tetap sama. (The "
                 "installation secret was changed; every key and sealed value stays the same.)")
    lines.append("Langkah berikutnya (next steps):")
    if rotation.kept_in == FILE:
        lines.append(f"  1. Rahasia baru sudah ditulis ke {rotation.secret_file} (mode 0600). "
                     "Hapus berkas rahasia baru yang Anda siapkan, atau kosongkan "
                     f"{NEW_SECRET_ENV}. (The new secret is in the .secret file now.)")
    else:
        lines.append(f"  1. {SECRET_ENV} diatur di lingkungan: ganti nilainya dengan rahasia "
                     "baru di unit systemd (Environment= atau EnvironmentFile=, lalu sudo "
                     "systemctl daemon-reload) SEBELUM bot dijalankan lagi; dengan rahasia lama "
                     f"bot menolak mulai. (Update {SECRET_ENV} in the service unit first.)")
    lines.append("  2. Jalankan bot lagi: sudo systemctl start sebaya (start the bot again).")
    lines.append("  3. Backup yang dibuat SEBELUM rotasi ini hanya bisa dibuka dengan rahasia "
                 "LAMA: simpan rahasia lama bersama backup lama itu (di tempat terkunci), atau "
                 f"buat backup baru sekarang ({backup_hint}) lalu hapus yang lama. (Old backups "
                 "still need the OLD secret.)")
    if rotation.origin == "legacy":
        lines.append("  Catatan: database ini dibuat sebelum kunci amplop, jadi kunci akarnya "
                     "berasal dari rahasia lama. Bot kini hanya mau jalan dengan rahasia baru, "
                     "tetapi orang yang memegang rahasia lama DAN mendapat salinan database "
                     "(juga salinan baru) masih bisa membukanya: pastikan ia tidak lagi bisa "
                     "masuk ke server dan ke tempat cadangan. (This database predates envelope "
                     "keys: its root key derives from the old secret, so the old secret plus a "
                     "copy of the database still opens it.)")
    return lines
