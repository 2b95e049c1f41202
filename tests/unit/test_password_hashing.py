"""Password hashing: argon2-cffi's default cost unless the tests' Settings say otherwise,
hashes that verify whatever cost made them, and an unknown account that costs as much
as a known one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlmodel import Session

from server.accounts import users
from server.db import make_engine, migrate
from server.errors import NotSignedIn
from server.infra.config import Settings
from server.infra.security import (
    PASSWORD_HASHING_DEFAULT,
    PASSWORD_HASHING_FOR_TESTS,
    Passwords,
    passwords_for,
)
from server.models import Role
from tests.helpers.servers import make_settings

BOTH = [PASSWORD_HASHING_DEFAULT, PASSWORD_HASHING_FOR_TESTS]


def _cost(password_hash: str) -> tuple[int, int, int]:
    params = extract_parameters(password_hash)
    return params.time_cost, params.memory_cost, params.parallelism


def test_settings_default_to_argon2_cffis_own_default_cost(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.password_hashing == PASSWORD_HASHING_DEFAULT
    defaults = PasswordHasher()
    made = passwords_for(settings.password_hashing).hash("correct horse battery")
    assert made.startswith("$argon2id$")
    assert _cost(made) == (defaults.time_cost, defaults.memory_cost, defaults.parallelism)
    assert extract_parameters(made).salt_len == defaults.salt_len


def test_the_tests_settings_hash_cheaply_and_only_the_cost_differs(tmp_path):
    settings = make_settings(tmp_path)
    assert settings.password_hashing == PASSWORD_HASHING_FOR_TESTS
    cheap = passwords_for(settings.password_hashing).hash("correct horse battery")
    assert _cost(cheap) == (1, 8, 1)
    default = passwords_for(PASSWORD_HASHING_DEFAULT).hash("correct horse battery")
    assert extract_parameters(cheap).salt_len == extract_parameters(default).salt_len
    assert extract_parameters(cheap).hash_len == extract_parameters(default).hash_len


@pytest.mark.parametrize("made_with", BOTH)
@pytest.mark.parametrize("checked_with", BOTH)
def test_a_hash_verifies_whatever_cost_made_it(made_with, checked_with):
    made = passwords_for(made_with).hash("correct horse battery")
    assert passwords_for(checked_with).verify(made, "correct horse battery")
    assert not passwords_for(checked_with).verify(made, "correct horse battery!")


@pytest.mark.parametrize("garbage", ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$xx$yy"])
def test_a_malformed_hash_is_a_wrong_password_not_an_error(garbage):
    assert passwords_for(PASSWORD_HASHING_FOR_TESTS).verify(garbage, "anything at all") is False


class CountingHasher(PasswordHasher):
    """Records the hash every ``verify`` checks."""

    def __init__(self, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.checked: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        self.checked.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.mark.parametrize("cost", [{}, {"time_cost": 1, "memory_cost": 8, "parallelism": 1}])
def test_an_unknown_account_costs_a_check_as_dear_as_a_known_ones(tmp_path, cost):
    hasher = CountingHasher(**cost)
    passwords = Passwords(hasher)
    url = f"sqlite:///{tmp_path / 'showdesk.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        users.create_user(
            db,
            email="ana@shop.test",
            role=Role.agent,
            name="Ana",
            password="correct horse battery",
            now=datetime.now(UTC),
            passwords=passwords,
        )
        users.authenticate(db, "ana@shop.test", "correct horse battery", passwords=passwords)
        with pytest.raises(NotSignedIn):
            users.authenticate(db, "nobody@shop.test", "correct horse battery", passwords=passwords)
    engine.dispose()
    known, unknown = hasher.checked
    assert unknown == passwords.dummy_hash
    assert (
        _cost(unknown) == _cost(known) == (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    )
