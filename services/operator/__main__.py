"""`python -m services.operator`: settings -> JSON logs -> kopf, standalone, on the namespaces set."""

import kopf

from services.common.logs import configure_logging
from services.common.settings import load_settings
from services.operator import handlers  # noqa: F401 - registers the handlers
from services.operator.settings import OperatorConfig


def main() -> None:
    config = load_settings(OperatorConfig)
    configure_logging(service="operator", level=config.log_level)
    kopf.run(
        standalone=True,  # one replica; no peering objects needed
        clusterwide=not config.namespaces,
        namespaces=config.namespaces,
        memo=kopf.Memo(config=config),
        liveness_endpoint=config.liveness_endpoint or None,
    )


if __name__ == "__main__":
    main()
