"""Writes the vocabulary as the GraphQL query returns it, for the web app's component tests:
`python -m gateway.rule_vocabulary gateway/ui/src/rules/vocabulary.json` (a test fails while stale)."""

import json
import pathlib
import sys

from gateway.rule_vocabulary.vocabulary import as_json

if __name__ == "__main__":
    pathlib.Path(sys.argv[1]).write_text(json.dumps(as_json(), indent=1) + "\n")
