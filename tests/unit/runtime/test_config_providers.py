"""Config providers, placeholder resolution and worker wiring, on real env vars, files and dirs."""

from __future__ import annotations

import importlib
import os
import re
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from sluice.api.config_provider import ConfigData, ConfigProvider
from sluice.api.errors import ConfigError
from sluice.runtime.config_providers import (
    ConfigProviderStateError,
    ConfigTransformer,
    DirectoryConfigProvider,
    EnvVarConfigProvider,
    FileConfigProvider,
    providers_from_worker_config,
    resolve_config_provider_class,
)

# --- ConfigProvider base -------------------------------------------------------------------------


class _StaticProvider(ConfigProvider):
    """Answers from a fixed table and records every call, to check how often it is asked."""

    def __init__(self, table: Mapping[str, Mapping[str, str]], ttl_ms: int | None = None) -> None:
        self.table = table
        self.ttl_ms = ttl_ms
        self.calls: list[tuple[str, set[str] | None]] = []
        self.closed = False

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        self.calls.append((path, keys))
        values = self.table.get(path, {})
        return ConfigData(
            {k: v for k, v in values.items() if keys is None or k in keys}, self.ttl_ms
        )

    def close(self) -> None:
        self.closed = True


def test_base_defaults_and_context_manager() -> None:
    provider = _StaticProvider({"": {"a": "1"}})
    provider.configure({"anything": "x"})
    with provider as same:
        assert same.get("", {"a"}) == ConfigData({"a": "1"})
    assert provider.closed
    with pytest.raises(NotImplementedError, match="_StaticProvider"):
        provider.subscribe("", {"a"}, lambda path, data: None)
    with pytest.raises(NotImplementedError):
        provider.unsubscribe_all()


def test_get_is_abstract() -> None:
    class Incomplete(ConfigProvider):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


# --- EnvVarConfigProvider ------------------------------------------------------------------------


def test_env_provider_reads_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_TEST_SECRET", "s3cret")
    monkeypatch.setenv("SLUICE_TEST_OTHER", "other")
    provider = EnvVarConfigProvider()
    provider.configure({})
    assert provider.get("", {"SLUICE_TEST_SECRET", "NOT_SET_ANYWHERE_XYZ"}).data == {
        "SLUICE_TEST_SECRET": "s3cret"
    }
    everything = provider.get("").data
    assert everything["SLUICE_TEST_OTHER"] == "other"
    assert everything["PATH"] == os.environ["PATH"]


def test_env_provider_snapshot_taken_at_creation(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = EnvVarConfigProvider()
    monkeypatch.setenv("SLUICE_TEST_LATE", "late")
    provider.configure({})
    assert provider.get("", {"SLUICE_TEST_LATE"}).data == {}


def test_env_provider_allowlist_must_match_whole_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "pw")
    monkeypatch.setenv("DB_PASSWORD_OLD", "old")
    monkeypatch.setenv("XDB_PASSWORD", "x")
    provider = EnvVarConfigProvider()
    provider.configure({"allowlist.pattern": "DB_[A-Z]+"})
    data = provider.get("").data
    assert data.get("DB_PASSWORD") == "pw"
    assert "DB_PASSWORD_OLD" not in data
    assert "XDB_PASSWORD" not in data
    assert "PATH" not in data


def test_env_provider_refuses_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = EnvVarConfigProvider()
    provider.configure({})
    with pytest.raises(ConfigError, match=r"Path is not supported for EnvVarConfigProvider.*'/x'"):
        provider.get("/x", {"HOME"})


def test_env_provider_bad_pattern_names_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"allowlist\.pattern") as info:
        EnvVarConfigProvider({}).configure({"allowlist.pattern": "("})
    assert info.value.key == "allowlist.pattern"


def test_env_provider_must_be_configured() -> None:
    with pytest.raises(ConfigProviderStateError):
        EnvVarConfigProvider({"A": "1"}).get("")


# --- FileConfigProvider --------------------------------------------------------------------------


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    path = directory / "db.properties"
    path.write_text("user=admin\npassword=caf\u00e9\\u20ac\n# comment\nempty=\n", encoding="utf-8")
    return path


def test_file_provider_reads_utf8_properties(secrets_file: Path) -> None:
    provider = FileConfigProvider()
    provider.configure({})
    assert provider.get(str(secrets_file)).data == {
        "user": "admin",
        "password": "café€",
        "empty": "",
    }
    assert provider.get(str(secrets_file), {"password", "missing"}).data == {"password": "café€"}


def test_file_provider_empty_path_gives_nothing(secrets_file: Path) -> None:
    provider = FileConfigProvider()
    provider.configure({})
    assert provider.get("").data == {}


def test_file_provider_missing_file(tmp_path: Path) -> None:
    provider = FileConfigProvider()
    provider.configure({})
    missing = tmp_path / "missing.properties"
    with pytest.raises(
        ConfigError, match=re.escape(f"Could not read properties from file {missing}")
    ):
        provider.get(str(missing), {"a"})


def test_file_provider_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.properties"
    path.write_bytes(b"a=caf\xe9\n")
    provider = FileConfigProvider()
    provider.configure({})
    with pytest.raises(ConfigError, match="Could not read properties from file"):
        provider.get(str(path))


def test_file_provider_malformed_escape_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.properties"
    path.write_text("a=1\nb=\\u12\n", encoding="utf-8")
    provider = FileConfigProvider()
    provider.configure({})
    with pytest.raises(ConfigError, match=r"bad\.properties line 2: malformed"):
        provider.get(str(path))


def test_file_provider_allowed_paths(secrets_file: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.properties"
    outside.write_text("password=leaked\n")
    provider = FileConfigProvider()
    provider.configure({"allowed.paths": str(secrets_file.parent)})
    assert provider.get(str(secrets_file), {"user"}).data == {"user": "admin"}
    assert provider.get(str(outside), {"password"}).data == {}


@pytest.mark.parametrize(
    "relative",
    [
        "secrets/../outside.properties",
        "secrets/./../outside.properties",
        "secrets/../secrets/../outside.properties",
    ],
)
def test_file_provider_rejects_traversal(secrets_file: Path, tmp_path: Path, relative: str) -> None:
    outside = tmp_path / "outside.properties"
    outside.write_text("password=leaked\n")
    provider = FileConfigProvider()
    provider.configure({"allowed.paths": str(secrets_file.parent)})
    assert provider.get(f"{tmp_path}/{relative}", {"password"}).data == {}


def test_file_provider_traversal_that_stays_inside_is_allowed(secrets_file: Path) -> None:
    provider = FileConfigProvider()
    provider.configure({"allowed.paths": str(secrets_file.parent)})
    sneaky = f"{secrets_file.parent}/x/../{secrets_file.name}"
    assert provider.get(sneaky, {"user"}).data == {"user": "admin"}


def test_allowed_paths_compare_whole_components(tmp_path: Path) -> None:
    (tmp_path / "sec").mkdir()
    (tmp_path / "secrets").mkdir()
    path = tmp_path / "secrets" / "a.properties"
    path.write_text("k=v\n")
    provider = FileConfigProvider()
    provider.configure({"allowed.paths": str(tmp_path / "sec")})
    assert provider.get(str(path)).data == {}


def test_relative_path_is_not_allowed_when_paths_are_restricted(
    secrets_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(secrets_file.parent)
    provider = FileConfigProvider()
    provider.configure({"allowed.paths": str(secrets_file.parent)})
    assert provider.get(secrets_file.name).data == {}


def test_allowed_paths_several_roots_and_trailing_comma(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (second / "x.properties").write_text("k=v\n")
    provider = FileConfigProvider()
    provider.configure({"allowed.paths": f"{first},{second},"})
    assert provider.get(str(second / "x.properties")).data == {"k": "v"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("relative/dir", "is not absolute"),
        ("/definitely/not/here/xyz", "does not exist"),
        (",/tmp", "is not absolute"),
    ],
)
def test_allowed_paths_invalid(value: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as info:
        FileConfigProvider().configure({"allowed.paths": value})
    assert info.value.key == "allowed.paths"


def test_file_provider_must_be_configured(secrets_file: Path) -> None:
    with pytest.raises(ConfigProviderStateError):
        FileConfigProvider().get(str(secrets_file))


# --- DirectoryConfigProvider ---------------------------------------------------------------------


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "mounted"
    directory.mkdir()
    (directory / "db-password").write_text("hunter2\n", encoding="utf-8")
    (directory / "api-key").write_bytes("clé".encode())
    (directory / "bad-bytes").write_bytes(b"a\xffb")
    (directory / ".hidden").write_text("h")
    (directory / "subdir").mkdir()
    (directory / "subdir" / "nested").write_text("no")
    target = tmp_path / "elsewhere"
    target.write_text("linked")
    (directory / "link").symlink_to(target)
    return directory


def test_directory_provider_reads_regular_files(secrets_dir: Path) -> None:
    provider = DirectoryConfigProvider()
    provider.configure({})
    assert provider.get(str(secrets_dir)).data == {
        "db-password": "hunter2\n",
        "api-key": "clé",
        "bad-bytes": "a\ufffdb",
        ".hidden": "h",
        "link": "linked",
    }


def test_directory_provider_selected_keys(secrets_dir: Path) -> None:
    provider = DirectoryConfigProvider()
    provider.configure({})
    data = provider.get(str(secrets_dir), {"db-password", "subdir", "missing", "../elsewhere"})
    assert data.data == {"db-password": "hunter2\n"}


def test_directory_provider_non_directory_gives_nothing(secrets_dir: Path) -> None:
    provider = DirectoryConfigProvider()
    provider.configure({})
    assert provider.get(str(secrets_dir / "db-password")).data == {}
    assert provider.get(str(secrets_dir / "absent")).data == {}
    assert provider.get("").data == {}


def test_directory_provider_allowed_paths(secrets_dir: Path, tmp_path: Path) -> None:
    provider = DirectoryConfigProvider()
    provider.configure({"allowed.paths": str(secrets_dir)})
    assert provider.get(str(secrets_dir), {"api-key"}).data == {"api-key": "clé"}
    assert provider.get(str(secrets_dir / "subdir")).data == {"nested": "no"}
    assert provider.get(str(tmp_path)).data == {}
    assert provider.get(f"{secrets_dir}/..").data == {}


def test_directory_provider_must_be_configured(secrets_dir: Path) -> None:
    with pytest.raises(ConfigProviderStateError):
        DirectoryConfigProvider().get(str(secrets_dir))


# --- ConfigTransformer ---------------------------------------------------------------------------


def test_transformer_resolves_paths_and_keys(secrets_file: Path, secrets_dir: Path) -> None:
    file_provider = FileConfigProvider()
    file_provider.configure({})
    dir_provider = DirectoryConfigProvider()
    dir_provider.configure({})
    transformer = ConfigTransformer({"file": file_provider, "dir": dir_provider})
    result = transformer.transform(
        {
            "connection.user": f"${{file:{secrets_file}:user}}",
            "connection.url": f"jdbc://host/db?u=${{file:{secrets_file}:user}}&p=x",
            "api": f"${{dir:{secrets_dir}:api-key}}",
            "plain": "no placeholders",
        }
    )
    assert result.data == {
        "connection.user": "admin",
        "connection.url": "jdbc://host/db?u=admin&p=x",
        "api": "clé",
        "plain": "no placeholders",
    }
    assert result.ttls == {}


def test_transformer_env_without_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_TEST_TOKEN", "tok")
    env = EnvVarConfigProvider()
    env.configure({})
    result = ConfigTransformer({"env": env}).transform({"t": "Bearer ${env:SLUICE_TEST_TOKEN}"})
    assert result.data == {"t": "Bearer tok"}


def test_transformer_leaves_unknown_provider_and_key_untouched() -> None:
    provider = _StaticProvider({"p": {"known": "K"}})
    transformer = ConfigTransformer({"static": provider})
    result = transformer.transform(
        {
            "a": "${nope:p:known}",
            "b": "${static:p:unknown}",
            "c": "${nope:x} and ${static:p:known} and ${static:p:unknown}",
            "d": "${notaplaceholder}",
            "e": "$ {static:p:known} ${static:p:known",
        }
    )
    assert result.data == {
        "a": "${nope:p:known}",
        "b": "${static:p:unknown}",
        "c": "${nope:x} and K and ${static:p:unknown}",
        "d": "${notaplaceholder}",
        "e": "$ {static:p:known} ${static:p:known",
    }


def test_transformer_asks_each_path_once_with_all_keys() -> None:
    provider = _StaticProvider({"/a": {"x": "1", "y": "2"}, "": {"z": "3"}})
    result = ConfigTransformer({"s": provider}).transform(
        {"one": "${s:/a:x}${s:/a:y}", "two": "${s:/a:x}", "three": "${s:z}"}
    )
    assert result.data == {"one": "12", "two": "1", "three": "3"}
    assert sorted(provider.calls, key=lambda c: c[0]) == [("", {"z"}), ("/a", {"x", "y"})]


def test_transformer_pattern_splits_like_kafka() -> None:
    # provider = up to the first colon, path = up to the next, key = the rest (colons included)
    provider = _StaticProvider({"b": {"c:d": "KEY-WITH-COLON"}, "": {"k": "NO-PATH"}})
    result = ConfigTransformer({"a": provider}).transform(
        {"x": "${a:b:c:d}", "y": "${a:k}", "z": "${a::k}"}
    )
    assert result.data == {"x": "KEY-WITH-COLON", "y": "NO-PATH", "z": "NO-PATH"}


def test_transformer_replacement_is_literal() -> None:
    provider = _StaticProvider({"": {"k": r"\1 ${a:k} $0"}})
    result = ConfigTransformer({"a": provider}).transform({"v": "${a:k}"})
    assert result.data == {"v": r"\1 ${a:k} $0"}


def test_transformer_collects_ttls_by_path() -> None:
    provider = _StaticProvider({"/vault": {"pw": "p"}}, ttl_ms=60_000)
    negative = _StaticProvider({"/neg": {"pw": "n"}}, ttl_ms=-1)
    result = ConfigTransformer({"v": provider, "n": negative}).transform(
        {"a": "${v:/vault:pw}", "b": "${n:/neg:pw}"}
    )
    assert result.data == {"a": "p", "b": "n"}
    assert result.ttls == {"/vault": 60_000}


def test_transformer_propagates_provider_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    env = EnvVarConfigProvider()
    env.configure({})
    with pytest.raises(ConfigError, match="Path is not supported"):
        ConfigTransformer({"env": env}).transform({"a": "${env:/p:HOME}"})


# --- worker wiring -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("org.apache.kafka.common.config.provider.FileConfigProvider", FileConfigProvider),
        ("FileConfigProvider", FileConfigProvider),
        ("File", FileConfigProvider),
        (
            "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
            DirectoryConfigProvider,
        ),
        ("Directory", DirectoryConfigProvider),
        ("org.apache.kafka.common.config.provider.EnvVarConfigProvider", EnvVarConfigProvider),
        ("EnvVar", EnvVarConfigProvider),
        ("sluice.runtime.config_providers.EnvVarConfigProvider", EnvVarConfigProvider),
        ("sluice.runtime.config_providers:DirectoryConfigProvider", DirectoryConfigProvider),
    ],
)
def test_class_names_and_aliases(class_name: str, expected: type[ConfigProvider]) -> None:
    assert resolve_config_provider_class(class_name, "config.providers.x.class") is expected


def test_unknown_class_names_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_config_provider_class("com.example.VaultConfigProvider", "config.providers.v.class")
    assert info.value.key == "config.providers.v.class"
    assert "available ConfigProviders are: Directory, DirectoryConfigProvider" in str(info.value)


def test_class_that_is_not_a_provider() -> None:
    with pytest.raises(ConfigError, match="is not a subclass of ConfigProvider"):
        resolve_config_provider_class("pathlib:Path", "config.providers.p.class")


@pytest.fixture
def third_party_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = "sluice_test_vault_provider"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            from sluice.api.config_provider import ConfigData, ConfigProvider

            class Vault(ConfigProvider):
                class Nested(ConfigProvider):
                    def get(self, path, keys=None):
                        return ConfigData({})

                def configure(self, configs):
                    self.configs = dict(configs)

                def get(self, path, keys=None):
                    return ConfigData({"token": self.configs["token"] + "@" + path}, 1000)

            CLOSED = []

            class Tracking(ConfigProvider):
                def get(self, path, keys=None):
                    return ConfigData({})

                def close(self):
                    CLOSED.append(self)

            class Exploding(ConfigProvider):
                def configure(self, configs):
                    raise ValueError("boom")

                def get(self, path, keys=None):
                    return ConfigData({})
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_third_party_provider_by_python_path(third_party_module: str) -> None:
    worker = {
        "config.providers": "vault",
        "config.providers.vault.class": f"{third_party_module}:Vault",
        "config.providers.vault.param.token": "t0k",
    }
    providers = providers_from_worker_config(worker)
    result = ConfigTransformer(providers).transform({"secret": "${vault:kv/db:token}"})
    assert result.data == {"secret": "t0k@kv/db"}
    assert result.ttls == {"kv/db": 1000}
    nested = resolve_config_provider_class(f"{third_party_module}:Vault.Nested", "k")
    assert nested.__name__ == "Nested"


def test_providers_from_worker_config(
    secrets_file: Path, secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_TEST_VISIBLE", "yes")
    monkeypatch.setenv("HIDDEN_SLUICE_TEST", "no")
    worker = {
        "bootstrap.servers": "localhost:9092",
        "config.providers": " file , dir,env ",
        "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        "config.providers.file.param.allowed.paths": str(secrets_file.parent),
        "config.providers.dir.class": "DirectoryConfigProvider",
        "config.providers.env.class": "EnvVar",
        "config.providers.env.param.allowlist.pattern": "SLUICE_TEST_.*",
        "config.providers.unused.class": "File",
    }
    providers = providers_from_worker_config(worker)
    assert set(providers) == {"file", "dir", "env"}
    assert isinstance(providers["file"], FileConfigProvider)
    assert isinstance(providers["dir"], DirectoryConfigProvider)
    assert isinstance(providers["env"], EnvVarConfigProvider)
    result = ConfigTransformer(providers).transform(
        {
            "a": f"${{file:{secrets_file}:user}}",
            "b": f"${{dir:{secrets_dir}:db-password}}",
            "c": "${env:SLUICE_TEST_VISIBLE}",
            "d": "${env:HIDDEN_SLUICE_TEST}",
            "e": "${unused:/x:y}",
        }
    )
    assert result.data == {
        "a": "admin",
        "b": "hunter2\n",
        "c": "yes",
        "d": "${env:HIDDEN_SLUICE_TEST}",
        "e": "${unused:/x:y}",
    }


@pytest.mark.parametrize("value", ["", "   "])
def test_no_providers(value: str) -> None:
    assert providers_from_worker_config({"config.providers": value}) == {}
    assert providers_from_worker_config({}) == {}


def test_provider_without_class_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    providers = providers_from_worker_config({"config.providers": "ghost"})
    assert providers == {}
    assert "config.providers.ghost.class" in caplog.text


def test_failure_closes_providers_already_built(third_party_module: str) -> None:
    worker = {
        "config.providers": "first,second,bad",
        "config.providers.first.class": f"{third_party_module}:Tracking",
        "config.providers.second.class": f"{third_party_module}:Tracking",
        "config.providers.bad.class": f"{third_party_module}:Exploding",
    }
    with pytest.raises(ValueError, match="boom"):
        providers_from_worker_config(worker)
    module = importlib.import_module(third_party_module)
    assert len(module.CLOSED) == 2


def test_bad_param_names_the_key(tmp_path: Path) -> None:
    worker = {
        "config.providers": "file",
        "config.providers.file.class": "File",
        "config.providers.file.param.allowed.paths": "not/absolute",
    }
    with pytest.raises(ConfigError, match="not absolute") as info:
        providers_from_worker_config(worker)
    assert info.value.key == "allowed.paths"
