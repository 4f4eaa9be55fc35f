"""Writes the gateway's schema as SDL for the web app's generated types:
`python -m gateway.sdl gateway/ui/schema.graphql` (a test fails while the file is stale)."""

import pathlib
import sys

from gateway.schema import schema


def sdl() -> str:
    return schema.as_str() + "\n"


if __name__ == "__main__":
    pathlib.Path(sys.argv[1]).write_text(sdl())
