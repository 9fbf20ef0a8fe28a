# The single entry point for people and CI. Everything the project needs is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MINICLOUD_HOME ?= /var/tmp/stack-runbooks-minicloud
export MINICLOUD_HOME
CEPHLAB_HOME ?= /var/tmp/stack-runbooks-cephlab
export CEPHLAB_HOME
CLOUD ?=
# A minicloud* entry lives in the mini cloud's own clouds.yaml.
ifneq ($(filter minicloud%,$(CLOUD)),)
export OS_CLIENT_CONFIG_FILE := $(MINICLOUD_HOME)/clouds.yaml
endif

.PHONY: venv demo demo-ceph report test test-fast lint lab minicloud-up minicloud-down bench bench-scale demo-snapshot clean airflow-check

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name stack-runbooks --display-name "Python (stack-runbooks)" >/dev/null
	touch $(STAMP)

# Every runbook on the embedded demo snapshot (or CLOUD=<clouds.yaml entry>). Findings (exit 1) are the
# point of the demo, so only configuration, execution errors and timeouts fail this target.
demo: venv
	$(BIN)/runbook run all $(if $(CLOUD),--cloud $(CLOUD)) ; rc=$$?; test $$rc -le 1

# Same as demo against a live cloud; the runner's exit code is kept for schedulers.
report: venv
	@test -n "$(CLOUD)" || { echo "make report needs CLOUD=<clouds.yaml entry>"; exit 2; }
	$(BIN)/runbook run all --cloud $(CLOUD)

# The capacity runbook live against a throwaway real Ceph cluster driven into nearfull (scripts/cephlab).
demo-ceph: venv
	$(PYTHON) scripts/cephlab up
	$(PYTHON) scripts/cephlab fill 145
	$(PYTHON) scripts/cephlab wait-health OSD_NEARFULL 60
	$(BIN)/runbook run ceph_capacity -p ceph_live true -p ceph_conf $(CEPHLAB_HOME)/ceph.conf ; rc=$$?; test $$rc -le 1

# Installs what the tests need (the mini cloud's apt packages and venv) and runs the whole suite.
test: venv lint
	$(PYTHON) scripts/minicloud install
	$(PYTHON) scripts/cephlab install
	@missing=""; command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	  test -x /usr/bin/chromium || missing="$$missing chromium"; \
	  command -v sos >/dev/null || missing="$$missing sosreport"; \
	  if [ -n "$$missing" ]; then echo "apt-get install$$missing (systemd-analyze for contrib/systemd, chromium for the browser tests, sos for real sosreports)"; \
	  apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing; fi
	$(BIN)/pytest

# The Airflow DAG (contrib/airflow) in Airflow's own environment, built on first use: import check, then
# 'airflow dags test' on two demo targets and on one that cannot be read (offline, ~1 min after the build).
airflow-check: venv
	$(PYTHON) contrib/airflow/check.py

# Without the live mini cloud (a quick loop while editing).
test-fast: venv
	$(BIN)/pytest -m "not minicloud"

lint: venv
	$(BIN)/ruff check . scripts/sshlab scripts/cephlab scripts/minicloud scripts/labs
	$(BIN)/ruff format --check runbook_lib tests bench scripts/build_demo_snapshot.py scripts/minicloud_files scripts/sshlab scripts/cephlab scripts/minicloud scripts/labs
	$(BIN)/mypy

lab: venv
	$(BIN)/jupyter lab --notebook-dir notebooks

minicloud-up:
	$(PYTHON) scripts/minicloud up

minicloud-down:
	$(PYTHON) scripts/minicloud down

# Rebuild runbook_lib/demo from the real labs: mini cloud, Ceph lab, SSH lab (see scripts/build_demo_snapshot.py).
demo-snapshot: venv
	# from nothing: a Cinder record must never outlive the Ceph cluster its image was on
	$(PYTHON) scripts/minicloud down
	$(PYTHON) scripts/cephlab down
	$(PYTHON) scripts/minicloud up
	$(PYTHON) scripts/minicloud seed cpu-topology
	$(PYTHON) scripts/minicloud seed failures
	$(PYTHON) scripts/cephlab up
	$(PYTHON) scripts/cephlab fill 145
	$(PYTHON) scripts/cephlab wait-health OSD_NEARFULL 60
	$(PYTHON) scripts/minicloud storage up
	$(PYTHON) scripts/minicloud seed storage
	$(PYTHON) scripts/sshlab up vif-late-2 >/dev/null
	OS_CLIENT_CONFIG_FILE=$(MINICLOUD_HOME)/clouds.yaml $(BIN)/python scripts/build_demo_snapshot.py
	$(PYTHON) scripts/sshlab down
	$(PYTHON) scripts/minicloud storage down

bench: venv
	$(BIN)/python bench/bench_runner.py
	$(BIN)/python bench/bench_analysis.py
	$(BIN)/python bench/bench_ceph_plan.py
	$(BIN)/python bench/bench_upmap.py

# The CPU runbook end to end on generated 1k / 10k / 20k-server clouds: time, peak memory, HTML size (~30 s);
# then the mini cloud filled to 10,000 servers and 20,000 ports, collected and analysed (~25 min, mostly
# Neutron creating ports); SCALE_SERVERS=N for another size.
bench-scale: venv
	$(BIN)/python bench/bench_scale.py
	$(BIN)/python bench/bench_minicloud.py

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
