"""Strimzi ``KafkaConnector`` resources, read as connector configs.

People who run Kafka Connect on Kubernetes keep their connectors as Strimzi custom resources and
``kubectl apply`` them; the operator turns each into a ``PUT /connectors/{name}/config`` and a
pause, resume or stop. This module does the operator's part of that translation, so the same
files work with ``sluice apply -f`` and ``sluice standalone``:

* ``metadata.name`` names the connector; ``spec.class`` becomes ``connector.class`` and
  ``spec.tasksMax`` becomes ``tasks.max``. ``name``, ``connector.class`` and ``tasks.max`` inside
  ``spec.config`` are ignored, as Strimzi ignores them (with a note).
* ``spec.config`` values may be YAML numbers and booleans: they become Kafka's strings the way
  Strimzi writes them (``true``, ``1``; ``0x10`` is ``16``). Floats keep the text written
  (``1.50`` stays ``1.50``; Strimzi's round trip through Kubernetes' JSON would print ``1.5``).
  Dates stay text, and ``10:30`` is not read as YAML 1.1's base-60 number 630. A null, a list or
  a map is an error naming the key: Kafka configs are flat strings.
* ``spec.state`` (``running``, ``paused``, ``stopped``) or the deprecated ``spec.pause`` give the
  state the connector must be in; with neither it must be running, as with Strimzi.
* ``${secrets:ns/name:key}``, ``${env:VAR}`` and ``${file:...}`` are Kafka config provider
  placeholders: passed on unchanged, for the worker's ``config.providers`` to resolve.
* What only an operator can do (``spec.autoRestart``, ``spec.listOffsets``/``alterOffsets``, the
  ``strimzi.io/restart`` annotations) and documents of other kinds (a ``KafkaConnect``, a
  ``Secret``) are skipped with a note; so are unknown ``spec`` fields.

Every problem is a :class:`StrimziError` naming the file, the line, the document and the field;
a file is read completely before anything is returned, so one bad document stops them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from sluice.runtime.config_files import ConfigFileError

__all__ = [
    "KafkaConnectorResource",
    "StrimziError",
    "StrimziFile",
    "looks_like_yaml",
    "parse_kafka_connectors",
]

GROUP = "kafka.strimzi.io"
API_VERSIONS = ("v1", "v1beta2", "v1beta1", "v1alpha1")
STATES = {"running": "RUNNING", "paused": "PAUSED", "stopped": "STOPPED"}
"""``spec.state`` as Strimzi spells it, to the state names of Kafka's REST API (KIP-980)."""

_SPEC_FIELDS = ("class", "tasksMax", "config", "state", "pause", "autoRestart")
_OPERATOR_ONLY = {
    "listOffsets": "use `sluice connectors offsets NAME`",
    "alterOffsets": "use PATCH /connectors/NAME/offsets (or `sluice connectors offsets NAME "
    "--reset` on a stopped connector)",
}
_RESTART_ANNOTATIONS = {
    "strimzi.io/restart": "use `sluice connectors restart NAME`",
    "strimzi.io/restart-task": "use `sluice connectors restart NAME --task N`",
    "strimzi.io/connector-offsets": "use `sluice connectors offsets NAME`",
}
_FORBIDDEN_CONFIG = ("name", "connector.class", "tasks.max")
_KUBERNETES_PROVIDERS = re.compile(r"\$\{(secrets|configmaps):")
_YAML_SUFFIXES = (".yaml", ".yml")
_YAML_START = re.compile(rb"^(?:---|apiVersion\s*:|kind\s*:)")

# --- the YAML dialect: Kubernetes' (go-yaml v2), not all of YAML 1.1 ------------------------------

_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` without what would change a config value behind the user's back.

    YAML 1.1 reads ``10:30`` as the base-60 integer 630 and ``2022-01-12`` as a date, and
    Kubernetes' parser does neither; floats are left as text so that ``1.50`` stays ``1.50``.
    """


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag
        not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))


def _as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)  # an explicit !!float or !!timestamp: its text, as for plain ones


_Loader.add_constructor("tag:yaml.org,2002:float", _as_text)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


# --- results --------------------------------------------------------------------------------------


class StrimziError(ConfigFileError):
    """A YAML file that is not valid YAML, or a ``KafkaConnector`` that cannot be applied.

    ``document`` is the 1-based number of the YAML document (``None`` for a file that does not
    parse) and ``field`` the dotted path of the offending field (``spec.config.topic``).
    """

    def __init__(
        self,
        message: str,
        source: str,
        line: int | None = None,
        column: int | None = None,
        document: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, source, line, column)
        self.document = document
        self.field = field


@dataclass(frozen=True)
class KafkaConnectorResource:
    """One ``KafkaConnector`` as the connector config Strimzi would send to Kafka Connect.

    ``config`` holds ``name``, ``connector.class`` and, when ``spec.tasksMax`` is set,
    ``tasks.max``. ``state`` is ``RUNNING``, ``PAUSED`` or ``STOPPED`` (always set: a resource
    without ``spec.state`` asks for a running connector). ``where`` names the place for messages:
    ``file.yaml document 2 (KafkaConnector my-sink)``.
    """

    name: str
    config: dict[str, str]
    state: str
    where: str
    document: int
    line: int
    api_version: str
    namespace: str | None = None
    cluster: str | None = None
    """The ``strimzi.io/cluster`` label: which Connect cluster the operator would use. Kept for
    display only; the worker the file is applied to is the one that gets the connector."""


@dataclass(frozen=True)
class StrimziFile:
    """The connectors of one YAML file, and notes about what was ignored or skipped, in order."""

    source: str
    connectors: tuple[KafkaConnectorResource, ...]
    notes: tuple[str, ...]


def looks_like_yaml(file_name: str, raw: bytes) -> bool:
    """Whether a connector file is YAML: ``.yaml``/``.yml``, or (for any other name but
    ``.json``/``.properties``) a text whose first line that is not blank or a comment is ``---``,
    ``apiVersion:`` or ``kind:``."""
    lowered = file_name.lower()
    if lowered.endswith(_YAML_SUFFIXES):
        return True
    if lowered.endswith((".json", ".properties")):
        return False
    text = raw.removeprefix(b"\xef\xbb\xbf")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(b"#"):
            return _YAML_START.match(stripped) is not None
    return False


# --- parsing --------------------------------------------------------------------------------------


def _documents(raw: bytes | str, source: str) -> list[tuple[yaml.Node, Any]]:
    documents: list[tuple[yaml.Node, Any]] = []
    loader: _Loader | None = None
    try:
        loader = _Loader(raw)
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node() said there is one
            _check_duplicate_keys(node, source, len(documents) + 1)
            documents.append((node, loader.construct_document(node)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if mark is None:
            raise StrimziError(f"{source}: invalid YAML: {problem}", source) from None
        line, column = mark.line + 1, mark.column + 1
        raise StrimziError(
            f"{source} line {line} column {column}: invalid YAML: {problem}", source, line, column
        ) from None
    except yaml.reader.ReaderError as exc:
        raise StrimziError(
            f"{source}: invalid YAML: not UTF-8 or UTF-16 text at byte {exc.position + 1} "
            f"({exc.reason})",
            source,
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return documents


def _check_duplicate_keys(root: yaml.Node, source: str, document: int) -> None:
    """Kubernetes refuses a key given twice in one map; PyYAML would keep the last silently."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    line = key.start_mark.line + 1
                    if key.value in first:
                        raise StrimziError(
                            f"{source} line {line}: document {document}: duplicate key "
                            f"'{key.value}' (first on line {first[key.value]})",
                            source,
                            line,
                            key.start_mark.column + 1,
                            document,
                        )
                    first[key.value] = line
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def _entry(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key, value) nodes of ``key`` in a mapping node."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    return None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    entry = _entry(node, key)
    return None if entry is None else entry[1]


def _kind_of(value: object) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"a YAML {type(value).__name__}"


class _Document:
    """One resource being read: where it is, and how to name a field of it in messages."""

    def __init__(
        self, source: str, number: int, node: yaml.Node, label: str, item: int | None = None
    ) -> None:
        self.source = source
        self.number = number
        self.node = node
        self.label = label
        self.item = item
        self.notes: list[str] = []

    @property
    def place(self) -> str:
        """``document 2 (KafkaConnector my-sink)``; ``document 1 item 3 (...)`` in a List."""
        item = "" if self.item is None else f" item {self.item}"
        label = f" ({self.label})" if self.label else ""
        return f"document {self.number}{item}{label}"

    @property
    def where(self) -> str:
        return f"{self.source} {self.place}"

    def line_of(self, *path: str) -> int:
        """The line of the deepest key of ``path`` present (a missing field: its parent's)."""
        node: yaml.Node | None = self.node
        line = self.node.start_mark.line + 1
        for key in path:
            entry = _entry(node, key)
            if entry is None:
                break
            line = entry[0].start_mark.line + 1
            node = entry[1]
        return line

    def prefix(self, path: tuple[str, ...]) -> str:
        """``file.yaml line 12: document 2 (KafkaConnector my-sink)``."""
        return f"{self.source} line {self.line_of(*path)}: {self.place}"

    def error(self, path: tuple[str, ...], problem: str) -> StrimziError:
        line = self.line_of(*path)
        field = ".".join(path) or None
        return StrimziError(
            f"{self.prefix(path)}: {field} {problem}"
            if field
            else f"{self.prefix(path)} {problem}",
            self.source,
            line,
            None,
            self.number,
            field,
        )

    def note(self, path: tuple[str, ...], text: str) -> None:
        self.notes.append(f"{self.prefix(path)}: {'.'.join(path)} {text}")


def _config_value(doc: _Document, key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    path = ("spec", "config", key)
    if value is None:
        raise doc.error(path, "has no value (null); write '' for an empty string")
    raise doc.error(
        path,
        f"is {_kind_of(value)}; connector configuration values must be strings, numbers or "
        "booleans (write a list or JSON as one string, e.g. in quotes or after '>')",
    )


def _config_key(doc: _Document, key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | str):
        return str(key)
    raise doc.error(("spec", "config"), f"has a key that is {_kind_of(key)}")


def _state(doc: _Document, spec: dict[Any, Any]) -> str:
    state = spec.get("state")
    pause = spec.get("pause")
    if pause is not None and not isinstance(pause, bool):
        raise doc.error(("spec", "pause"), f"must be true or false, not {_kind_of(pause)}")
    if state is not None:
        if not isinstance(state, str) or state.lower() not in STATES:
            allowed = ", ".join(STATES)
            raise doc.error(("spec", "state"), f"is {_kind_of(state)}, not one of {allowed}")
        if pause is not None:
            doc.note(
                ("spec", "pause"),
                f"is ignored: spec.state takes precedence, so the connector will be "
                f"{state.lower()} (as Strimzi does)",
            )
        return STATES[state.lower()]
    if pause is not None:
        doc.note(("spec", "pause"), "is deprecated (Strimzi 0.38): use spec.state")
    return "PAUSED" if pause else "RUNNING"


def _tasks_max(doc: _Document, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise doc.error(
            ("spec", "tasksMax"), f"must be a whole number of at least 1, not {_kind_of(value)}"
        )
    return str(value)


def _connector(
    doc: _Document, resource: dict[Any, Any], api_version: str
) -> KafkaConnectorResource:
    metadata = resource.get("metadata")
    if not isinstance(metadata, dict):
        problem = "is missing" if metadata is None else f"must be a map, not {_kind_of(metadata)}"
        raise doc.error(("metadata",), f"{problem}: its name names the connector")
    name = metadata.get("name")
    if not isinstance(name, str) or not name.strip():
        problem = "is missing" if name is None else f"must be a string, not {_kind_of(name)}"
        raise doc.error(("metadata", "name"), f"{problem}: it names the connector")
    doc.label = f"KafkaConnector {name}"
    spec = resource.get("spec")
    if not isinstance(spec, dict):
        problem = "is missing" if spec is None else f"must be a map, not {_kind_of(spec)}"
        raise doc.error(("spec",), f"{problem}: it holds the connector's class and config")

    raw_config = spec.get("config")
    if raw_config is None:
        raw_config = {}
    if not isinstance(raw_config, dict):
        raise doc.error(
            ("spec", "config"), f"must be a map of keys to values, not {_kind_of(raw_config)}"
        )
    class_name = spec.get("class")
    if class_name is None or (isinstance(class_name, str) and not class_name.strip()):
        hint = (
            " (Strimzi ignores connector.class in spec.config: move it to spec.class)"
            if "connector.class" in raw_config
            else ""
        )
        raise doc.error(("spec", "class"), f"is missing: it names the connector class{hint}")
    if not isinstance(class_name, str):
        raise doc.error(("spec", "class"), f"must be a string, not {_kind_of(class_name)}")
    tasks_max = _tasks_max(doc, spec.get("tasksMax"))

    config: dict[str, str] = {}
    for raw_key, raw_value in raw_config.items():
        key = _config_key(doc, raw_key)
        value = _config_value(doc, key, raw_value)
        path = ("spec", "config", key)
        if key == "name":
            if value != name:
                doc.note(path, f"'{value}' is ignored: metadata.name '{name}' names the connector")
            continue
        if key in _FORBIDDEN_CONFIG:
            field = "spec.class" if key == "connector.class" else "spec.tasksMax"
            doc.note(path, f"is ignored, as Strimzi ignores it: set {field} instead")
            continue
        if _KUBERNETES_PROVIDERS.search(value):
            doc.note(
                path,
                "uses a Kubernetes config provider placeholder; it is passed on unchanged and "
                "resolved only if the worker's config.providers defines that provider",
            )
        config[key] = value
    config["connector.class"] = class_name
    if tasks_max is not None:
        config["tasks.max"] = tasks_max
    config["name"] = name
    state = _state(doc, spec)

    auto_restart = spec.get("autoRestart")
    if isinstance(auto_restart, dict) and auto_restart.get("enabled", True) is not False:
        doc.note(
            ("spec", "autoRestart"),
            "is not supported and ignored: it is the Strimzi operator that restarts failed "
            "connectors and tasks; use `sluice connectors restart NAME --include-tasks "
            "--only-failed`",
        )
    for field, hint in _OPERATOR_ONLY.items():
        if spec.get(field) is not None:
            doc.note(("spec", field), f"is ignored (the Strimzi operator does it): {hint}")
    for field in spec:
        if field not in _SPEC_FIELDS and field not in _OPERATOR_ONLY:
            doc.note(("spec", str(field)), "is not a KafkaConnector field; ignored")
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        for annotation, hint in _RESTART_ANNOTATIONS.items():
            if annotation in annotations:
                doc.note(
                    ("metadata", "annotations", annotation),
                    f"is ignored (the Strimzi operator acts on it): {hint}",
                )
    labels = metadata.get("labels")
    cluster = labels.get("strimzi.io/cluster") if isinstance(labels, dict) else None
    namespace = metadata.get("namespace")
    return KafkaConnectorResource(
        name=name,
        config=config,
        state=state,
        where=doc.where,
        document=doc.number,
        line=doc.line_of(),
        api_version=api_version,
        namespace=namespace if isinstance(namespace, str) else None,
        cluster=cluster if isinstance(cluster, str) else None,
    )


def _resources(
    source: str, number: int, node: yaml.Node, value: Any
) -> Iterator[tuple[_Document, Any]]:
    """The resources of one document: itself, or the ``items`` of a ``List`` (what
    ``kubectl get kafkaconnectors -o yaml`` prints)."""
    doc = _Document(source, number, node, "")
    if not isinstance(value, dict):
        raise doc.error((), f"is {_kind_of(value)}, not a Kubernetes resource (a map)")
    kind = value.get("kind")
    if kind in ("List", "KafkaConnectorList") and isinstance(value.get("items"), list):
        items_node = _child(node, "items")
        assert isinstance(items_node, yaml.SequenceNode)
        for i, (item_node, item) in enumerate(zip(items_node.value, value["items"], strict=True)):
            yield _Document(source, number, item_node, "", i + 1), item
    else:
        yield doc, value


def parse_kafka_connectors(raw: bytes | str, source: str = "<string>") -> StrimziFile:
    """Read every ``KafkaConnector`` of a YAML text (documents separated by ``---``).

    Raises :class:`StrimziError` for the first problem found; nothing is returned from a file
    with an error. Documents of other kinds are skipped with a note.
    """
    connectors: list[KafkaConnectorResource] = []
    notes: list[str] = []
    names: dict[str, str] = {}
    for number, (node, value) in enumerate(_documents(raw, source), start=1):
        if value is None:
            continue  # an empty document, e.g. after a final '---'
        for doc, resource in _resources(source, number, node, value):
            if not isinstance(resource, dict):
                raise doc.error((), f"is {_kind_of(resource)}, not a Kubernetes resource (a map)")
            kind, api_version = resource.get("kind"), resource.get("apiVersion")
            if not isinstance(kind, str) or not kind:
                raise doc.error(
                    ("kind",),
                    "is missing: sluice reads Strimzi KafkaConnector resources from YAML "
                    "(kind: KafkaConnector)",
                )
            if kind != "KafkaConnector":
                metadata = resource.get("metadata")
                name = metadata.get("name") if isinstance(metadata, dict) else None
                doc.label = f"{kind} {name}" if isinstance(name, str) else kind
                notes.append(f"{doc.prefix(())}: skipped: only KafkaConnector resources are read")
                continue
            doc.label = "KafkaConnector"
            group, _, version = str(api_version or "").partition("/")
            if group != GROUP or version not in API_VERSIONS:
                expected = " or ".join(f"{GROUP}/{v}" for v in API_VERSIONS[:2])
                raise doc.error(
                    ("apiVersion",),
                    f"is {_kind_of(api_version)}, not a Strimzi API version ({expected})",
                )
            connector = _connector(doc, resource, str(api_version))
            if connector.name in names:
                raise doc.error(
                    ("metadata", "name"),
                    f"'{connector.name}' is also the name of {names[connector.name]}",
                )
            names[connector.name] = doc.place
            connectors.append(connector)
            notes += doc.notes
    return StrimziFile(source, tuple(connectors), tuple(notes))
