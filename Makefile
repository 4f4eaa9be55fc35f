.PHONY: run test proto bootstrap bench

run:  ## start PostgreSQL, the five services and the gateway (IGNITE=1: and the Ignite cache); Ctrl-C stops them all
	bash scripts/run.sh

test:  ## install what is missing, then run the whole suite against real servers
	bash scripts/test.sh

proto:  ## regenerate gen/ from proto/
	bash scripts/bootstrap.sh
	.venv/bin/python scripts/gen_proto.py

bootstrap:
	bash scripts/bootstrap.sh
