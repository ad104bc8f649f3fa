# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-blinding demo-org test lint package bench invocations org-invocations fuzz chaos clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m chalicelib simulate examples/story --repeat 2
	$(BIN)/python -m chalicelib simulate examples/leaked-ci-key --repeat 2

# `make demo-blinding`: the monitor blinded (trail stopped, its own rule disabled, a handler throttled to 0),
# then the heartbeat check past its threshold (monitor-blind) and a heartbeat that closes it (README "simulate").
demo-blinding: $(STAMP)
	$(BIN)/python -m chalicelib simulate examples/blinding --liveness --stage prod

# `make demo-org`: the story across an organization on moto — each event enters its own account and region's
# default bus, the member template `make package` built forwards it to the central bus (README "Organization").
demo-org: package
	$(BIN)/python -m chalicelib simulate --org examples/story

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup  # two workers; packaging tests share one (tests/conftest.py)

# `make package [STAGE=dev]`: dist/sam.json + code zips for the stage (default prod, every
# handler family on), linted by cfn-lint. No AWS account, credentials or config needed.
STAGE ?= prod

package: $(STAMP)
	BIN=$(BIN) bash deploy/package.sh $(STAGE) dist

# `make bench [BENCH_ARGS="--records 50000"]`: replay throughput, memory, cold start and per-event CPU, each
# beside a baseline from the same run (see bench/RESULTS.md). Writes only bench/data/; the jq baseline uses the
# system jq (`apt-get install jq`) and is skipped without it.
bench: $(STAMP)
	bench/run $(BENCH_ARGS)
	$(BIN)/python bench/s3path.py  # the S3 path (issue 17): replay s3:// vs disk, the backfill worker

# `make invocations [STAGE=prod] [RECORDS=20000]`: Lambda invocations per 1,000 events of the generated
# trail, per handler family, counted from the stage's packaged rules and states (bench/invocations.py).
RECORDS ?= 20000

invocations: $(STAMP)
	$(BIN)/python bench/invocations.py --stage $(STAGE) --records $(RECORDS)

# `make org-invocations`: the same trail in organization mode: copies each member forwards to the
# central bus and central handler invocations, from the packaged member.json and sam.json.
org-invocations: $(STAMP)
	$(BIN)/python bench/org_invocations.py --stage $(STAGE) --records $(RECORDS)

# `make fuzz`: the property tests of tests/fuzz with 10,000 random examples each (CI runs 120, seeded).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz -p no:cacheprovider -W ignore::hypothesis.errors.HypothesisWarning

# `make chaos [CHAOS_ARGS="--events 1000 --workers 8"]`: fault and concurrency scenarios, one table (README, Reliability).
chaos: $(STAMP)
	$(BIN)/python bench/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) dist .pytest_cache
