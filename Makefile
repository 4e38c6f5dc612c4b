# webfarm: the two commands are `make lab` and `make test`.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help setup collection lab lab-check lab-status lab-down clean drill test lint unit docs diagram bench bench-converge bench-rr-dns bench-nlb bench-active-passive bench-content bench-soak lab-cluster4

help: ## show the targets
	@awk -F':.*## ' '/^[a-z0-9-]+:.*## /{printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## install what the lab and tests need (Docker, venv, base image)
	scripts/setup all

lab: ## build the lab, converge it, check it, print where to look
	scripts/lab up

lab-check: ## run the topology tests against the running lab
	scripts/lab check

lab-status: ## print the lab's table of hosts
	scripts/lab status

lab-down: ## remove the lab's containers, volumes and network (nothing else)
	scripts/lab down

clean: ## lab-down, then remove everything labelled webfarm: the apt cache, scenarios, base images
	scripts/lab clean

lab-cluster4: ## a four-node active_passive cluster on a lab of its own: converge twice, tests, drills, remove
	scripts/cluster4

drill: ## run the failure drills against the running lab: one table, artifacts/drill/report.{json,html}
	scripts/lab drill

test: ## lint, unit tests, then every Molecule scenario
	scripts/test

lint: ## yamllint, ruff and ansible-lint only
	scripts/setup venv
	.venv/bin/yamllint -s . && .venv/bin/ruff check . && PATH=$(CURDIR)/.venv/bin:$$PATH .venv/bin/ansible-lint

unit: ## unit tests of the plugins and the lab package only
	scripts/setup venv
	.venv/bin/pytest -n auto tests/unit

collection: ## build the webfarm.cluster collection: artifacts/collection/webfarm-cluster-VERSION.tar.gz
	scripts/setup venv
	scripts/collection

docs: ## regenerate the variable tables in the role READMEs
	scripts/setup venv
	.venv/bin/python scripts/role_docs.py --write

diagram: ## draw the lab from its inventory: docs/lab.svg (graphviz from Debian, installed if missing)
	scripts/setup venv
	command -v dot >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q graphviz
	.venv/bin/python -m lab.diagram --svg docs/lab.svg

bench: bench-converge bench-rr-dns bench-nlb bench-active-passive bench-content bench-soak ## every benchmark, one table each

bench-converge: ## converge time of 3, 12 and 24 web nodes, stock Ansible and Mitogen
	scripts/setup all
	.venv/bin/python bench/converge.py

bench-rr-dns: ## against the lab: crash to record withdrawn and back, per name server; dnsperf
	scripts/setup venv
	.venv/bin/python bench/rr_dns.py

bench-nlb: ## against the lab: throughput direct vs through the VIP (wrk); failures per drill
	scripts/setup venv
	.venv/bin/python bench/nlb.py

bench-active-passive: ## against the lab: outage per cluster drill (stop, crash, nginx killed, partition), min/median/max
	scripts/setup venv
	.venv/bin/python bench/active_passive.py

bench-content: ## against the lab: write on the content master to every node having it (1 KB, 1 MB, 50 MB); sessions redis vs memory
	scripts/setup venv
	.venv/bin/python bench/content.py

bench-soak: ## against the lab: ten minutes of full CPU through every VIP; VRRP state changes and cluster memberships counted (BENCH_SOAK_SECONDS)
	scripts/setup venv
	.venv/bin/python bench/soak.py
