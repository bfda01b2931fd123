"""Where the development broker's files live: the pom, the jars folder, the data folder.

Each has an environment variable that wins (``SLUICE_POM``, ``SLUICE_KAFKA_LIBS``,
``SLUICE_KAFKA_DATA``); otherwise they sit in ``.cache/kafka`` beside the pom of the sluice
checkout that runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from sluice.devkafka.errors import JarsNotFoundError

__all__ = ["default_data_dir", "default_libs_dir", "find_pom"]


def find_pom(start: Path | None = None) -> Path:
    """The ``pom.xml`` that lists the Kafka jars: ``$SLUICE_POM``, else the nearest one above us.

    Only a pom naming ``kafka_2.13`` counts, so a checkout nested inside some other Maven project
    does not pick that project's pom.
    """
    env = os.environ.get("SLUICE_POM")
    if env:
        pom = Path(env).expanduser()
        if not pom.is_file():
            raise JarsNotFoundError(f"SLUICE_POM points to {pom}, which is not a file")
        return pom
    here = (start or Path(__file__)).resolve()
    for folder in [here, *here.parents]:
        pom = folder / "pom.xml"
        if pom.is_file() and "<artifactId>kafka_2.13</artifactId>" in pom.read_text("utf-8"):
            return pom
    raise JarsNotFoundError(
        f"cannot find sluice's pom.xml above {here}: set SLUICE_POM to it, or SLUICE_KAFKA_LIBS "
        "to a folder that already holds the Kafka jars"
    )


def default_libs_dir() -> Path:
    """``$SLUICE_KAFKA_LIBS``, else ``.cache/kafka/libs`` beside the pom."""
    env = os.environ.get("SLUICE_KAFKA_LIBS")
    if env:
        return Path(env).expanduser()
    return find_pom().parent / ".cache" / "kafka" / "libs"


def default_data_dir(port: int) -> Path:
    """``$SLUICE_KAFKA_DATA``, else one folder per port: ``.cache/kafka/data-PORT`` beside the
    pom of the sluice checkout that runs (so two checkouts never share a broker by accident),
    else, for an installed sluice without a checkout, ``~/.local/share/sluice/kafka-PORT``."""
    env = os.environ.get("SLUICE_KAFKA_DATA")
    if env:
        return Path(env).expanduser()
    try:
        return find_pom().parent / ".cache" / "kafka" / f"data-{port}"
    except JarsNotFoundError:
        return Path.home() / ".local" / "share" / "sluice" / f"kafka-{port}"
